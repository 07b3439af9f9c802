// The operation records' test disks that are fixtures (test/fixtures/README.md) rather than
// `jfish -N` prepared kinds: an OpTest's `disk` may name one of these.
export const FIXTURE_DISKS: Readonly<Record<string, string>> = {
  /** Debian 12 in 8 MiB: sda1 /boot, sda2 /; its echo and dash lack their libraries */
  sample: 'sample.raw',
  /** a debootstrapped Debian 12 whose programs run: sda1 /, sda2 /usr */
  'debian-usr': 'debian-usr.raw',
  /** Arch Linux in 32 MiB, sda1 /: its os-release has a BUILD_ID (rolling) */
  arch: 'arch.raw',
  /** a phony Windows 10 with real registry hives: sda1 C: (NTFS), sda2 D: */
  win10: 'win10.raw',
  /** libguestfs's InitISOFS disk (its tests/data test.iso): the whole ISO mounted read-only at / */
  iso: 'guestfs-test.iso',
};
