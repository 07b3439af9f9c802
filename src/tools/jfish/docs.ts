// docs/commands.md, rendered from the command records — the same records, usage line and
// group titles that `help` prints. scripts/gen-docs.mjs writes it (npm run docs) and
// test/unit/docs-fresh.test.ts fails when the checked-in file differs.
import { usage } from '../../ops/args.js';
import { groups, type ArgSpec, type Group } from '../../ops/arg-spec.js';
import type { Command } from './command.js';
import { groupTitles } from './help.js';

export const DOCS_FILE = 'docs/commands.md';

/** The title `help` prints for a group (the first line of its command list, without the colon). */
function groupTitle(group: Group, _commands: readonly Command[]): string {
  return groupTitles[group];
}

/** GitHub's heading anchor for a heading text. */
function anchor(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

/** Prose from a description, made safe for Markdown. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_<>]/g, (c) => `\\${c}`);
}

/** A one-line summary as a sentence: capitalised, with a full stop. */
function sentence(summary: string): string {
  const s = escapeMarkdown(summary.trim());
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`;
}

function argText(a: ArgSpec): string {
  const notes = [a.type, ...(a.optional ? ['optional'] : []), ...(a.variadic ? ['one or more'] : [])];
  return `\`${a.name}\` (${notes.join(', ')})`;
}

/** The whole command reference, as Markdown. */
export function commandReference(commands: readonly Command[]): string {
  const out: string[] = [
    '# jfish command reference',
    '',
    '<!-- Generated from the operation records (src/ops/records, src/inspect/records) and the jfish shell commands by scripts/gen-docs.mjs: do not edit; run `npm run docs`. -->',
    '',
    'Every jfish command, grouped as `help` lists them. `help CMD` in jfish shows the same usage and description. Names are case-insensitive and `_` may stand for `-` (`list_devices`, as in guestfish).',
    '',
  ];
  const byGroup = groups
    .map((g) => ({
      title: groupTitle(g, commands),
      list: commands.filter((c) => c.group === g).sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .filter((g) => g.list.length > 0);

  for (const g of byGroup) {
    out.push(`- [${g.title}](#${anchor(g.title)}): ${g.list.map((c) => `[${c.name}](#${anchor(c.name)})`).join(', ')}`);
  }
  out.push('');

  for (const g of byGroup) {
    out.push(`## ${g.title}`, '');
    for (const c of g.list) {
      out.push(`### ${c.name}`, '', '```', usage(c), '```', '', sentence(c.summary), '');
      for (const para of c.description.trim().split(/\n\s*\n/)) out.push(escapeMarkdown(para.replace(/\s+/g, ' ').trim()), '');
      if (c.args.length) out.push(`Arguments: ${c.args.map(argText).join('; ')}.`, '');
      if (c.aliases?.length) out.push(`Aliases: ${c.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
      if (c.needsLaunch) out.push('You must call `run` before using this command.', '');
      if (c.writes) out.push('It changes the guest or its drives: a script that uses it is not read-only work (README, Engines).', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
