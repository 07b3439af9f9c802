// The one source of truth for jfish's commands: collects the records from commands/*.ts,
// checks at load that names and aliases are unique and every argument is typed, and looks
// commands up by name or alias (guestfish spellings with _ work too: list_devices).
import { specProblems } from '../../ops/args.js';
import type { Command, CommandTable } from '../../ops/record.js';
import { commands as session } from './commands/session.js';
import { commands as devices } from '../../ops/records/devices.js';
import { commands as partitions } from '../../ops/records/partitions.js';
import { commands as images } from '../../ops/records/images.js';
import { commands as filesystems } from '../../ops/records/filesystems.js';
import { commands as fsadmin } from '../../ops/records/fsadmin.js';
import { commands as lvm } from '../../ops/records/lvm.js';
import { commands as mount } from '../../ops/records/mount.js';
import { commands as files } from '../../ops/records/files.js';
import { commands as inspection } from '../../inspect/records/inspect.js';
import { commands as transfer } from '../../ops/records/transfer.js';
import { commands as tar } from '../../ops/records/tar.js';
import { commands as editing } from '../../ops/records/editing.js';
import { commands as search } from '../../ops/records/search.js';
import { commands as guest } from '../../inspect/records/guest.js';
import { commands as hivex } from '../../ops/records/hivex.js';

export const commands: readonly Command[] = [
  ...session,
  ...devices,
  ...partitions,
  ...images,
  ...filesystems,
  ...fsadmin,
  ...lvm,
  ...mount,
  ...files,
  ...search,
  ...transfer,
  ...tar,
  ...editing,
  ...guest,
  ...inspection,
  ...hivex,
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
