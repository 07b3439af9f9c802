// Every jfish command is exercised by at least one test (in the spirit of libguestfs's
// per-action tests): its name must appear as a quoted word in some test file or test script.
// A command without a test fails here, naming it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/tools/jfish/table.js';

const testDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(p);
    return /\.test\.ts$|\.py$|\.sh$/.test(e.name) && !p.endsWith('jfish-coverage.test.ts') ? [p] : [];
  });
}

describe('jfish command coverage', () => {
  it('every command in the table is run by some test', () => {
    const text = testFiles(testDir)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const untested = commands.map((c) => c.name).filter((name) => !new RegExp(`['"\` ]${name.replace(/-/g, '\\-')}['"\` ]`).test(text));
    expect(untested).toEqual([]);
  });
});
