// What the stock-kernel VM runs (test/integration/stock-kernel.test.ts boots it): existing
// integration files, run by vitest inside the VM, where the kernel has NBD, device-mapper, md,
// dm-crypt, the partition parser and vfat/iso9660 (Debian 12's kernel has no ntfs3: ntfs goes
// through ntfs-3g there too). `mustPass` names tests that this host and CI skip (or take
// another path for): the run fails if one of them was skipped in the VM.

export interface VmTestSet {
  name: 'smoke' | 'full';
  /** test files, relative to the project root */
  files: string[];
  /** "file > describe > test" (as vitest's JSON report writes fullName, after the file) */
  mustPass: string[];
  /** for the whole VM run, boot included */
  timeoutMs: number;
}

const DM_SPLIT = 'test/integration/lvm.test.ts > lvm on real loop devices maps split through device-mapper at LVM’s extents';

export const SMOKE: VmTestSet = {
  name: 'smoke',
  files: ['test/integration/lvm.test.ts'],
  mustPass: [DM_SPLIT],
  timeoutMs: 6 * 60_000,
};

export const FULL: VmTestSet = {
  name: 'full',
  files: [
    'test/integration/lvm.test.ts',
    'test/integration/session-lvm.test.ts',
    'test/integration/disk-lvm-diff.test.ts',
    'test/integration/engine-volumes.test.ts',
    'test/integration/engine-volumes-extra.test.ts',
    'test/integration/guestfs-volumes.test.ts',
    'test/integration/session-formats.test.ts',
    'test/integration/engine-diff.test.ts',
    'test/integration/block-engines.test.ts',
    'test/integration/fs-fat-diff.test.ts',
    'test/integration/fs-iso9660-diff.test.ts',
    'test/integration/session-filesystems.test.ts',
  ],
  mustPass: [DM_SPLIT],
  timeoutMs: 20 * 60_000,
};

/** The bash the VM runs: vitest over the set's files, its JSON report into the runner's out/. */
export function vitestScript(set: VmTestSet): string {
  return [
    'export JOOT_IN_STOCK_VM=1',
    `node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$JOOT_VM_OUT/report.json" ${set.files.join(' ')}`,
  ].join('\n');
}
