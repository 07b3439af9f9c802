// jwinreg --merge: .reg files applied to the hives they name, offline. Everything is parsed and
// merged in memory first (a bad line or a missing hive changes nothing); then each changed hive
// is written: a backup of the old file next to it (synced), the new hive to a temp file (synced),
// renamed over the old one, the directory synced, and only then the backup removed.
import { JootError, oneLine } from '../../core/errors.js';
import type { Session } from '../../appliance/session.js';
import { Hive, mergeReg, parseReg, type RegOp } from '../../hive/index.js';
import type { WindowsRoot } from '../../inspect/windows/find.js';
import { HiveFiles } from './guest.js';
import { hiveId, locate, type HiveRef } from './hive-map.js';
import { printError } from '../cli.js';

export const BACKUP_SUFFIX = '.jwinreg-backup';

interface Group {
  ref: HiveRef;
  prefix: string;
  ops: RegOp[];
}

function groupOps(regs: { file: string; data: Buffer }[]): Group[] {
  const groups = new Map<string, Group>();
  for (const { file, data } of regs) {
    let parsed;
    try {
      parsed = parseReg(data);
    } catch (e) {
      throw new JootError('EINVAL', `${file}: ${oneLine(e)}`);
    }
    for (const op of parsed.ops) {
      const key = op.op === 'key' || op.op === 'deleteKey' ? op.path : op.key;
      let loc;
      try {
        loc = locate(key);
      } catch (e) {
        throw new JootError('EINVAL', `${file} line ${op.line}: ${oneLine(e)}`);
      }
      const id = hiveId(loc.hive);
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { ref: loc.hive, prefix: loc.prefix, ops: [] }));
      g.ops.push(op);
    }
  }
  return [...groups.values()];
}

export async function mergeFiles(session: Session, root: WindowsRoot, regs: { file: string; data: Buffer }[]): Promise<void> {
  const groups = groupOps(regs);
  await session.mount(root.device, '/', { readonly: false });
  try {
    const files = new HiveFiles(session, root);
    const changed: { path: string; old: Buffer; next: Buffer }[] = [];
    for (const g of groups) {
      const path = await files.path(g.ref);
      const old = await session.reader.readFile(path, { maxBytes: 512 * 1024 * 1024 });
      let hive: Hive;
      try {
        hive = Hive.open(old);
      } catch (e) {
        throw new JootError('EFORMAT', `${path}: ${oneLine(e)} (not changed)`);
      }
      if (hive.dirty) printError('jwinreg', `${path}: warning: the hive was not cleanly written (its transaction logs are not applied)`);
      try {
        mergeReg(hive, { version: 5, ops: g.ops }, { prefix: g.prefix });
      } catch (e) {
        throw new JootError('EINVAL', `${oneLine(e)} (nothing was changed)`);
      }
      if (!hive.modifiedSinceOpen) continue;
      const next = hive.serialize();
      Hive.open(next); // what is written must read back
      changed.push({ path, old, next });
    }
    for (const c of changed) {
      const backup = `${c.path}${BACKUP_SUFFIX}`;
      await session.writer.writeAtomic(backup, c.old);
      await session.writer.writeAtomic(c.path, c.next);
      await session.writer.rm(backup);
    }
  } finally {
    await session.umountAll();
  }
}
