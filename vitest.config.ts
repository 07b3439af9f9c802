import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two test files at a time at least: vitest's default (one fewer than the cores) is ONE worker
// on a 2-core machine, and the integration files spend most of their time waiting on other
// processes (losetup, mount, qemu, the libguestfs appliance), not on the CPU. Test files share
// the host safely: each works in its own temp dirs and run dir, and the leftover checks are
// scoped to them (test/integration/leftovers.ts).
const maxWorkers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 120000, hookTimeout: 600000, pool: 'forks', maxWorkers },
});
