import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two groups, the second started when the first is done (sequence.groupOrder):
//
// 'contained': the unit tests, the filesystem differential walks (test/integration/fs-*-diff)
//   and fs-iso9660-scale (images of its own in a temporary directory, nothing attached): they
//   keep to their own files, read the shared images read-only, attach loop devices only by
//   byte offset (no partition scan) and check nothing host-wide, so they run as many at a time
//   as there are cores — two on the 2-core CI machine, where vitest's default is one. The
//   stock-kernel smoke set is here too: its VM (qemu, a snapshot of its own root disk, the
//   fixtures shared read-only) attaches and mounts nothing on this host, and its ~3 minutes of
//   CPU overlap the unit tests' instead of adding to the integration group's one-at-a-time run.
// 'integration': every other integration file, with vitest's default worker count (one on 2
//   cores). Many of them check host-wide state (loop devices, mounts, helper processes) or
//   rescan partition tables; two workers there failed fs-admin's sfdisk once in three runs.
//   Inside a file, tests marked concurrent run OP_CONCURRENCY at a time (JOOT_TEST_CONCURRENCY
//   overrides it: 1 runs them one by one): op-records' tests, each on its own disk copy and
//   session, spend their time in short host programs (losetup, partx, blkid, mount), the
//   kernel and jfish's own code, which two cores can do two of at a time.
const CONTAINED = [
  'test/unit/**/*.test.ts',
  'test/integration/fs-*-diff.test.ts',
  'test/integration/fs-iso9660-scale.test.ts',
  'test/integration/stock-kernel.test.ts',
];
const OP_CONCURRENCY = Number(process.env.JOOT_TEST_CONCURRENCY) || 4;

export default defineConfig({
  test: {
    testTimeout: 120000,
    hookTimeout: 600000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'contained',
          include: CONTAINED,
          maxWorkers: Math.max(2, availableParallelism()),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: CONTAINED,
          maxConcurrency: OP_CONCURRENCY,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
