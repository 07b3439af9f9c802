// Every operation record's own tests (libguestfs's per-action `tests = [...]`): each test gets
// a fresh prepared disk (a copy of a template made once per kind with jfish's -N code), its
// filesystems mounted, its `setup` lines run through jfish's dispatcher, then the operation;
// what jfish prints must equal `expect`, or the error must match `error`. Each test runs in a
// fresh empty host directory (its working directory), for the host side of transfers and the
// host files it names (disk-create).
// The tests run OP_CONCURRENCY at a time (vitest's maxConcurrency, set for the integration
// project in vitest.config.ts): each has its own disk copy and session, and sessions attach
// loop devices, mount and scan LVM (read-only, device-filtered) per session, as two jfish
// processes would. The working directory is one per process, so the tests that reach host files
// (hostTouching) take turns holding it; the others never name a host path and run beside them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { hostTouching, inOwnCwd, makePreparedTemplate, runRecordTest, testTitle } from '../../bench/record-test-run.js';
import { inspectionRecords } from '../../src/inspect/records/index.js';
import { erase, type Op } from '../../src/ops/op.js';
import { opRecords } from '../../src/ops/records/index.js';
import { fixture } from '../fixtures/index.js';
import { FIXTURE_DISKS } from './op-disks.js';

const root = process.getuid?.() === 0;
const all: Op[] = [...opRecords, ...inspectionRecords].map((op) => erase(op as never));
const work = mkdtempSync(join(tmpdir(), 'op-records-'));
const templates = new Map<string, Promise<string>>();
let copies = 0;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The template image of a disk spec, made once; a fixture for the kinds of FIXTURE_DISKS. */
function template(disk: string): Promise<string> {
  let t = templates.get(disk);
  if (!t) {
    t = (async () => {
      const fixed = FIXTURE_DISKS[disk];
      if (fixed) return fixture(fixed);
      const file = join(work, `template-${templates.size}.img`);
      await makePreparedTemplate(disk, file);
      return file;
    })();
    templates.set(disk, t);
  }
  return t;
}

describe.skipIf(!root)('operation records: their own tests on fresh prepared disks', () => {
  for (const op of all) {
    describe.concurrent(op.name, () => {
      for (const t of op.tests) {
        it(testTitle(op, t), { timeout: 300_000 }, async ({ expect }) => {
          const disk = t.disk ?? 'fs';
          const file = join(work, `disk-${copies++}.img`);
          const tmpl = await template(disk);
          // a fresh host directory as the working directory: the test's relative host paths
          // (download /f local.txt, tar-out /d d.tar) land there and go with it
          const host = mkdtempSync(join(work, 'host-'));
          const body = () => runRecordTest(op, t, tmpl, file);
          expect(await (hostTouching(op, t) ? inOwnCwd(host, body) : body())).toBeUndefined();
        });
      }
    });
  }
});
