// The operation records are well formed (libguestfs: generator/checks.ml): every record carries
// its own tests, each test's words parse against the record's arguments, names are unique and
// every jfish command outside the shell's own (commands/session.ts) is a record.
import { describe, expect, it } from 'vitest';
import { inspectionRecords } from '../../src/inspect/records/index.js';
import { parseArgs } from '../../src/ops/args.js';
import { erase, type Op } from '../../src/ops/op.js';
import { opRecords } from '../../src/ops/records/index.js';
import { commandOf } from '../../src/tools/jfish/op-command.js';
import { PREPARED_TYPES } from '../../src/ops/prepared.js';
import { FIXTURE_DISKS } from '../integration/op-disks.js';
import { NOT_YET_TRANSLATED } from './op-spec-pending.js';

const all: Op[] = [...opRecords, ...inspectionRecords].map((op) => erase(op as never));

describe('operation records', () => {
  it('every record has at least one test of its own', () => {
    expect(all.filter((op) => op.tests.length === 0).map((op) => op.name)).toEqual([]);
  });

  it("each test's arguments parse as the record declares them, on a known prepared disk", () => {
    const bad: string[] = [];
    for (const op of all) {
      for (const t of op.tests) {
        try {
          parseArgs(commandOf(op), [...t.args]);
        } catch (e) {
          bad.push(`${op.name} ${t.args.join(' ')}: ${(e as Error).message}`);
        }
        const kind = (t.disk ?? 'fs').split(':')[0]!;
        if (!(kind in FIXTURE_DISKS) && !(kind in PREPARED_TYPES)) bad.push(`${op.name}: unknown disk ${t.disk}`);
        if (t.expect !== undefined && t.error !== undefined) bad.push(`${op.name}: a test expects both a value and an error`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("every record carries a test translated from libguestfs's, or says why it has none", () => {
    const pending = new Set(Object.values(NOT_YET_TRANSLATED).flat());
    const translated = (op: Op) => op.tests.some((t) => t.from === 'libguestfs');
    const missing = all.filter((op) => !translated(op) && !op.guestfishDiffers?.trim() && !pending.has(op.name));
    expect(missing.map((op) => op.name)).toEqual([]);
    // the pending list only shrinks: a name in it is a record still without either
    const names = new Set(all.map((op) => op.name));
    const stale = [...pending].filter((n) => !names.has(n) || all.some((op) => op.name === n && (translated(op) || op.guestfishDiffers)));
    expect(stale, 'names to drop from test/unit/op-spec-pending.ts').toEqual([]);
  });

  it('names are unique', () => {
    const names = all.flatMap((op) => [op.name, ...(op.aliases ?? [])]);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
