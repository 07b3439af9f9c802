import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two groups, the second started when the first is done (sequence.groupOrder):
//
// 'contained': the unit tests, the filesystem differential walks (test/integration/fs-*-diff)
//   and fs-iso9660-scale (images of its own in a temporary directory, nothing attached): they
//   keep to their own files, read the shared images read-only, attach loop devices only by
//   byte offset (no partition scan) and check nothing host-wide, so they run as many at a time
//   as there are cores — two on the 2-core CI machine, where vitest's default is one.
// 'integration': every other integration file, with vitest's default worker count (one on 2
//   cores). Many of them check host-wide state (loop devices, mounts, helper processes) or
//   rescan partition tables; two workers there failed fs-admin's sfdisk once in three runs.
const CONTAINED = ['test/unit/**/*.test.ts', 'test/integration/fs-*-diff.test.ts', 'test/integration/fs-iso9660-scale.test.ts'];

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
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
