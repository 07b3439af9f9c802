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
import { LIBGUESTFS_TEST_COUNTS, LIBGUESTFS_VERSION } from './libguestfs-test-counts.js';

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
    const missing = all.filter(
      (op) => !translated(op) && !op.guestfishDiffers?.trim() && !op.untranslated?.length && !pending.has(op.name),
    );
    expect(missing.map((op) => op.name)).toEqual([]);
    // the pending list only shrinks: a name in it is a record still without either
    const names = new Set(all.map((op) => op.name));
    const stale = [...pending].filter((n) => !names.has(n) || all.some((op) => op.name === n && (translated(op) || op.guestfishDiffers)));
    expect(stale, 'names to drop from test/unit/op-spec-pending.ts').toEqual([]);
  });

  it(`every test libguestfs ${LIBGUESTFS_VERSION} has of an action is translated into its record, or left out with a reason`, () => {
    // libguestfs's action names are the records' with '_' for '-' (resize2fs_M keeps its case)
    const actions = new Map(Object.entries(LIBGUESTFS_TEST_COUNTS).map(([a, n]) => [a.toLowerCase(), { action: a, n }]));
    // a test of one action may sit in another's record (fromAction): it counts for its action
    const borrowed = new Map<string, number>();
    for (const op of all)
      for (const t of op.tests)
        if (t.from === 'libguestfs' && t.fromAction) borrowed.set(t.fromAction, (borrowed.get(t.fromAction) ?? 0) + 1);
    const wrong: string[] = [];
    for (const op of all) {
      const theirs = actions.get(op.name.replace(/-/g, '_').toLowerCase());
      const own =
        op.tests.filter((t) => t.from === 'libguestfs' && t.fromAction === undefined).length + (borrowed.get(theirs?.action ?? '') ?? 0);
      const left = op.untranslated?.length ?? 0;
      if (!theirs) {
        if (own + left > 0) wrong.push(`${op.name}: libguestfs has no action of that name, yet ${own + left} of its tests are counted`);
        continue;
      }
      if (own + left !== theirs.n)
        wrong.push(`${op.name}: libguestfs has ${theirs.n} tests of ${theirs.action}; ${own} translated + ${left} left out with a reason`);
    }
    for (const op of all)
      for (const t of op.tests)
        if (t.fromAction !== undefined && (t.from !== 'libguestfs' || !(t.fromAction in LIBGUESTFS_TEST_COUNTS)))
          wrong.push(`${op.name}: a test says it is from ${t.fromAction}, not a libguestfs action with tests`);
    expect(wrong).toEqual([]);
  });

  it('names are unique', () => {
    const names = all.flatMap((op) => [op.name, ...(op.aliases ?? [])]);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});
