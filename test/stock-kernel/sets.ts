// What the stock-kernel VM runs (test/integration/stock-kernel.test.ts boots it): existing
// integration files, run by vitest inside the VM, where the kernel has NBD, device-mapper, md,
// dm-crypt, the partition parser and vfat/iso9660 as modules it loads on first use (Debian 12's
// kernel has no ntfs3: ntfs goes through ntfs-3g there too). `mustPass` names tests that this
// host and CI skip or take another path for: the run fails unless each passed in the VM.

export interface MustPass {
  /** relative to the project root */
  file: string;
  /** the test's own title */
  title: string;
}

export interface VmTestSet {
  name: 'smoke' | 'full';
  /** test files, relative to the project root */
  files: string[];
  /** vitest -t: only the tests whose names match (the smoke set) */
  namePattern?: string;
  mustPass: MustPass[];
  /** for the whole VM run, boot included */
  timeoutMs: number;
}

const DM_SPLIT: MustPass = { file: 'test/integration/lvm.test.ts', title: 'maps split through device-mapper at LVM’s extents' };
const NBD_VMDK: MustPass = {
  file: 'test/integration/session-formats.test.ts',
  title: 'mbr.vmdk: the mbr.raw guest, partitions, filesystems and files',
};
const LUKS: MustPass = {
  file: 'test/integration/engine-volumes-extra.test.ts',
  title: 'a LUKS volume with a detached header: the same answers, and the kernel engine mounts the ext4 inside',
};
const MD: MustPass = {
  file: 'test/integration/engine-volumes-extra.test.ts',
  title: 'md-extra.img: multi-zone RAID0 and four RAID6 layouts, the same arrays and bytes on both engines',
};
const REREAD: MustPass = {
  file: 'test/integration/stock-host-paths.test.ts',
  title: 'eight partition tables written in a row, each re-read by the kernel at once: sizes, mkfs and mount as written',
};
const ISO: MustPass = {
  file: 'test/integration/stock-host-paths.test.ts',
  title: 'iso-debian.iso (Rock Ridge, Joliet): the kernel mounts it, the same tree and bytes as the userspace reader',
};
const VFAT: MustPass = {
  file: 'test/integration/session-filesystems.test.ts',
  title: 'vfat through the kernel (gpt.raw /dev/sda1): read /EFI/BOOT/hello.txt',
};

/**
 * One test per stock-host path: device-mapper, NBD, md and LUKS under udev, partition tables
 * re-read by the kernel, module-loaded vfat and iso9660.
 */
export const SMOKE: VmTestSet = {
  name: 'smoke',
  files: [DM_SPLIT.file, NBD_VMDK.file, LUKS.file, VFAT.file, REREAD.file],
  // lvm.test.ts's device-mapper test uses the scan its first test makes
  namePattern:
    'scans the guest VG in one lvm|device-mapper at LVM|mbr\\.vmdk: the mbr|detached header|md-extra\\.img: multi-zone|vfat through|eight partition tables|iso-debian\\.iso',
  mustPass: [DM_SPLIT, NBD_VMDK, LUKS, MD, VFAT, REREAD, ISO],
  timeoutMs: 8 * 60_000,
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
    // (not fs-iso9660-diff: its oracle is xorriso, not the kernel, and it runs on this host)
    'test/integration/fs-fat-diff.test.ts',
    'test/integration/session-filesystems.test.ts',
    'test/integration/stock-host-paths.test.ts',
  ],
  mustPass: [DM_SPLIT, NBD_VMDK, LUKS, MD, VFAT, REREAD, ISO],
  timeoutMs: 30 * 60_000,
};

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The bash the VM runs: vitest over the set's files, its JSON report into the runner's out/. */
export function vitestScript(set: VmTestSet): string {
  const filter = set.namePattern ? ` -t ${q(set.namePattern)}` : '';
  return [
    'export JOOT_IN_STOCK_VM=1',
    `node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$JOOT_VM_OUT/report.json"${filter} ${set.files.join(' ')}`,
  ].join('\n');
}
