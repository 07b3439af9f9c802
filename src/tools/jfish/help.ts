// `help` text, rendered from the command records only.
import { usage } from '../../ops/args.js';
import { groups } from '../../ops/arg-spec.js';
import type { Command } from './command.js';

export const groupTitles: Record<Command['group'], string> = {
  session: 'Session',
  devices: 'Devices and partitions',
  filesystems: 'Filesystems',
  lvm: 'LVM',
  mount: 'Mounting',
  files: 'Files and directories',
  transfer: 'Transfer',
  editing: 'Editing',
  guest: 'In the guest',
  inspection: 'Inspection',
  hivex: 'Windows registry hives',
};

/** The list of every command, grouped, one line each. */
export function commandList(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const out: string[] = [];
  for (const g of groups) {
    const inGroup = commands.filter((c) => c.group === g).sort((a, b) => a.name.localeCompare(b.name));
    if (inGroup.length === 0) continue;
    out.push(`${groupTitles[g]}:`);
    for (const c of inGroup) out.push(`    ${c.name.padEnd(width)}${c.summary}`);
    out.push('');
  }
  out.push("Use 'help CMD' for the usage and description of one command.");
  return `${out.join('\n')}\n`;
}

/** Usage and description of one command. */
export function commandHelp(c: Command): string {
  const out = [`NAME`, `    ${c.name} - ${c.summary}`, '', 'SYNOPSIS', `    ${usage(c)}`, '', 'DESCRIPTION'];
  for (const para of c.description.trim().split(/\n\s*\n/)) {
    out.push(...wrap(para.replace(/\s+/g, ' '), 72).map((l) => `    ${l}`), '');
  }
  if (c.aliases?.length) out.push('ALIASES', `    ${c.aliases.join(', ')}`, '');
  if (c.needsLaunch) out.push('    You must call run before using this command.', '');
  // what makes jfish keep the default engine rather than read on the userspace engine
  if (c.writes) out.push('    It changes the guest or its drives.', '');
  return `${out.join('\n').trimEnd()}\n`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
