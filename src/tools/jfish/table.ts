// The one source of truth for jfish's commands: the shell's own (commands/*.ts) and a view of
// every operation record (src/ops/records, src/inspect/records) in help's order;
// checks at load that names and aliases are unique and every argument is typed, and looks
// commands up by name or alias (guestfish spellings with _ work too: list_devices).
import { specProblems } from '../../ops/args.js';
import { erase, type OpDef, type Returns } from '../../ops/op.js';
import { commandOf } from './op-command.js';
import type { ArgSpec } from '../../ops/arg-spec.js';
import type { Command, CommandTable } from './command.js';
import { commands as session } from './commands/session.js';
import { records as devicesRecords } from '../../ops/records/devices.js';
import { records as partitionsRecords } from '../../ops/records/partitions.js';
import { records as partitionsExtraRecords } from '../../ops/records/partitions-extra.js';
import { records as blockRecords } from '../../ops/records/block.js';
import { records as blockdevRecords } from '../../ops/records/blockdev.js';
import { records as blockSpaceRecords } from '../../ops/records/block-space.js';
import { records as volumesRecords } from '../../ops/records/volumes.js';
import { records as imagesRecords } from '../../ops/records/images.js';
import { commands as sparse } from './commands/sparse.js';
import { records as filesystemsRecords } from '../../ops/records/filesystems.js';
import { records as fsadminRecords } from '../../ops/records/fsadmin.js';
import { records as fsExtraRecords } from '../../ops/records/fs-extra.js';
import { records as gfcompatRecords } from '../../ops/records/gfcompat.js';
import { records as lvmRecords } from '../../ops/records/lvm.js';
import { records as lvmExtraRecords } from '../../ops/records/lvm-extra.js';
import { records as mountRecords } from '../../ops/records/mount.js';
import { records as filesRecords } from '../../ops/records/files.js';
import { records as filesExtraRecords } from '../../ops/records/files-extra.js';
import { records as nodesRecords } from '../../ops/records/nodes.js';
import { records as xattrsRecords } from '../../ops/records/xattrs.js';
import { records as inspectionRecords } from '../../inspect/records/inspect.js';
import { records as transferRecords } from '../../ops/records/transfer.js';
import { records as tarRecords } from '../../ops/records/tar.js';
import { records as editingRecords } from '../../ops/records/editing.js';
import { records as fstabRecords } from '../../inspect/records/fstab.js';
import { records as searchRecords } from '../../ops/records/search.js';
import { records as selinuxRecords } from '../../ops/records/selinux.js';
import { records as guestRecords } from '../../inspect/records/guest.js';
import { records as hivexRecords } from '../../ops/records/hivex.js';

/** jfish's commands of operation records */
function views(records: readonly OpDef<string, readonly ArgSpec[], Returns>[]): Command[] {
  return records.map((op) => commandOf(erase(op)));
}

export const commands: readonly Command[] = [
  ...session,
  ...views(devicesRecords),
  ...views(partitionsRecords),
  ...views(partitionsExtraRecords),
  ...views(blockdevRecords),
  ...views(blockRecords),
  ...views(blockSpaceRecords),
  ...views(volumesRecords),
  ...sparse,
  ...views(imagesRecords),
  ...views(filesystemsRecords),
  ...views(fsadminRecords),
  ...views(fsExtraRecords),
  ...views(gfcompatRecords),
  ...views(lvmRecords),
  ...views(lvmExtraRecords),
  ...views(mountRecords),
  ...views(filesRecords),
  ...views(filesExtraRecords),
  ...views(nodesRecords),
  ...views(xattrsRecords),
  ...views(searchRecords),
  ...views(selinuxRecords),
  ...views(transferRecords),
  ...views(tarRecords),
  ...views(editingRecords),
  ...views(fstabRecords),
  ...views(guestRecords),
  ...views(inspectionRecords),
  ...views(hivexRecords),
];

/** Normalise a typed command name: case-insensitive, `_` same as `-`. */
export function normalise(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/**
 * What is wrong with how the commands are declared (no summary or description, argument specs
 * that cannot parse): checked by the tests (test/unit/jfish-table), not on every start.
 */
export function tableProblems(list: readonly Command[]): string[] {
  const problems: string[] = [];
  for (const c of list) {
    if (!c.summary?.trim()) problems.push(`${c.name}: no summary`);
    if (!c.description?.trim()) problems.push(`${c.name}: no description`);
    problems.push(...specProblems(c));
    for (const n of [c.name, ...(c.aliases ?? [])]) {
      if (normalise(n) !== n) problems.push(`${c.name}: name or alias '${n}' is not lower-case with dashes`);
    }
  }
  return problems;
}

/** Build a name → command index, refusing duplicates (a name that would shadow another). */
export function buildIndex(list: readonly Command[]): Map<string, Command> {
  const index = new Map<string, Command>();
  for (const c of list) {
    for (const n of [c.name, ...(c.aliases ?? [])]) {
      const key = normalise(n);
      const other = index.get(key);
      if (other) throw new Error(`jfish command table: '${n}' is declared by both ${other.name} and ${c.name}`);
      index.set(key, c);
    }
  }
  return index;
}

const index = buildIndex(commands);

export function lookup(name: string): Command | undefined {
  return index.get(normalise(name));
}

export const table: CommandTable = { commands, lookup };
