// Every jfish command is tested. An operation record carries its own tests (run by
// test/integration/op-records.test.ts; test/unit/op-records.test.ts checks each has one); a
// command of the shell itself (add, run, help, …: not a record) must be run by some test
// file or script, its name appearing there as a quoted word. An untested one fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspectionRecords } from '../../src/inspect/records/index.js';
import { opRecords } from '../../src/ops/records/index.js';
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
  const records = new Set<string>([...opRecords, ...inspectionRecords].map((op) => op.name));

  it('every record in the table has tests of its own', () => {
    const table = commands.filter((c) => records.has(c.name));
    expect(table.length).toBe(records.size);
    const untested = [...opRecords, ...inspectionRecords].filter((op) => op.tests.length === 0).map((op) => op.name);
    expect(untested).toEqual([]);
  });

  it('every shell command (not a record) is run by some test', () => {
    const text = testFiles(testDir)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const shell = commands.map((c) => c.name).filter((name) => !records.has(name));
    expect(shell.length).toBeGreaterThan(0);
    const untested = shell.filter((name) => !new RegExp(`['"\` ]${name.replace(/-/g, '\\-')}['"\` ]`).test(text));
    expect(untested).toEqual([]);
  });
});
