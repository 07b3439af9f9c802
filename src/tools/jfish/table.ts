// The one source of truth for jfish's commands: collects the records from commands/*.ts,
// checks at load that names and aliases are unique and every argument is typed, and looks
// commands up by name or alias (guestfish spellings with _ work too: list_devices).
import { specProblems } from '../../ops/args.js';
import { erase, type OpDef, type Returns } from '../../ops/op.js';
import { commandOf } from './op-command.js';
import type { ArgSpec, Command, CommandTable } from '../../ops/record.js';
import { commands as session } from './commands/session.js';
import { records as devicesRecords } from '../../ops/records/devices.js';
import { commands as partitions, records as partitionsRecords } from '../../ops/records/partitions.js';
import { commands as images, records as imagesRecords } from '../../ops/records/images.js';
import { commands as sparse } from './commands/sparse.js';
import { commands as filesystems, records as filesystemsRecords } from '../../ops/records/filesystems.js';
import { commands as fsadmin, records as fsadminRecords } from '../../ops/records/fsadmin.js';
import { commands as lvm, records as lvmRecords } from '../../ops/records/lvm.js';
import { commands as mount, records as mountRecords } from '../../ops/records/mount.js';
import { commands as files, records as filesRecords } from '../../ops/records/files.js';
import { commands as inspection, records as inspectionRecords } from '../../inspect/records/inspect.js';
import { commands as transfer, records as transferRecords } from '../../ops/records/transfer.js';
import { commands as tar, records as tarRecords } from '../../ops/records/tar.js';
import { commands as editing, records as editingRecords } from '../../ops/records/editing.js';
import { records as fstabRecords } from '../../inspect/records/fstab.js';
import { commands as search, records as searchRecords } from '../../ops/records/search.js';
import { commands as guest, records as guestRecords } from '../../inspect/records/guest.js';
import { commands as hivex, records as hivexRecords } from '../../ops/records/hivex.js';

/** jfish's commands of operation records */
function views(records: readonly OpDef<string, readonly ArgSpec[], Returns>[]): Command[] {
  return records.map((op) => commandOf(erase(op)));
}

export const commands: readonly Command[] = [
  ...session,
  ...views(devicesRecords),
  ...partitions,
  ...views(partitionsRecords),
  ...sparse,
  ...images,
  ...views(imagesRecords),
  ...filesystems,
  ...views(filesystemsRecords),
  ...fsadmin,
  ...views(fsadminRecords),
  ...lvm,
  ...views(lvmRecords),
  ...mount,
  ...views(mountRecords),
  ...files,
  ...views(filesRecords),
  ...search,
  ...views(searchRecords),
  ...transfer,
  ...views(transferRecords),
  ...tar,
  ...views(tarRecords),
  ...editing,
  ...views(editingRecords),
  ...views(fstabRecords),
  ...guest,
  ...views(guestRecords),
  ...inspection,
  ...views(inspectionRecords),
  ...hivex,
  ...views(hivexRecords),
];

/** Normalise a typed command name: case-insensitive, `_` same as `-`. */
export function normalise(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Build a name → command index, refusing duplicates and badly declared records. */
export function buildIndex(list: readonly Command[]): Map<string, Command> {
  const index = new Map<string, Command>();
  const problems: string[] = [];
  for (const c of list) {
    if (!c.summary?.trim()) problems.push(`${c.name}: no summary`);
    if (!c.description?.trim()) problems.push(`${c.name}: no description`);
    problems.push(...specProblems(c));
    for (const n of [c.name, ...(c.aliases ?? [])]) {
      const key = normalise(n);
      if (key !== n) problems.push(`${c.name}: name or alias '${n}' is not lower-case with dashes`);
      const other = index.get(key);
      if (other) problems.push(`'${n}' is declared by both ${other.name} and ${c.name}`);
      index.set(key, c);
    }
  }
  if (problems.length) throw new Error(`jfish command table: ${problems.join('; ')}`);
  return index;
}

const index = buildIndex(commands);

export function lookup(name: string): Command | undefined {
  return index.get(normalise(name));
}

export const table: CommandTable = { commands, lookup };
