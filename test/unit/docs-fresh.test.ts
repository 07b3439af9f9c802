// docs/commands.md is generated from the jfish command table (npm run docs): fail when the
// checked-in file no longer matches what the table renders, so stale docs cannot pass CI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usage } from '../../src/ops/args.js';
import { commandReference, DOCS_FILE } from '../../src/tools/jfish/docs.js';
import { commands } from '../../src/tools/jfish/table.js';

const STALE = 'docs/commands.md is stale: run npm run docs';

describe('docs/commands.md', () => {
  const expected = commandReference(commands);

  it('matches the command table', () => {
    let actual: string;
    try {
      actual = readFileSync(new URL(`../../${DOCS_FILE}`, import.meta.url), 'utf8');
    } catch {
      throw new Error(`${STALE} (${DOCS_FILE} is missing)`);
    }
    if (actual !== expected) {
      const a = actual.split('\n');
      const e = expected.split('\n');
      let i = 0;
      while (i < a.length && i < e.length && a[i] === e[i]) i++;
      throw new Error(
        `${STALE} (first difference at line ${i + 1}: file has ${JSON.stringify(a[i] ?? '<end>')}, table gives ${JSON.stringify(e[i] ?? '<end>')})`,
      );
    }
  });

  it('documents every command with its usage line and aliases', () => {
    for (const c of commands) {
      expect(expected).toContain(`### ${c.name}\n\n\`\`\`\n${usage(c)}\n\`\`\``);
      for (const a of c.aliases ?? []) expect(expected).toContain(`\`${a}\``);
    }
  });
});
