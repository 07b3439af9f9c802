// Setup lines that several translations of libguestfs's per-action tests share: the layouts
// those tests build on tests/c-api's blank 2 GiB first disk (disk kind 'disk:2G').

/** An MBR table with three primary partitions, as libguestfs's LVM tests lay them out. */
export const THREE_PARTS: readonly (readonly string[])[] = [
  ['part-init', '/dev/sda', 'mbr'],
  ['part-add', '/dev/sda', 'p', '64', '204799'],
  ['part-add', '/dev/sda', 'p', '204800', '409599'],
  ['part-add', '/dev/sda', 'p', '409600', '-64'],
];

/** THREE_PARTS, each partition a physical volume. */
export const THREE_PVS: readonly (readonly string[])[] = [
  ...THREE_PARTS,
  ['pvcreate', '/dev/sda1'],
  ['pvcreate', '/dev/sda2'],
  ['pvcreate', '/dev/sda3'],
];

/** THREE_PVS in two volume groups: VG1 on the first two (guestfish splits the list), VG2. */
export const TWO_VGS: readonly (readonly string[])[] = [
  ...THREE_PVS,
  ['vgcreate', 'VG1', '/dev/sda1 /dev/sda2'],
  ['vgcreate', 'VG2', '/dev/sda3'],
];

/** One partition over the disk, a PV, volume group VG with two 50 MB LVs, LV1 and LV2. */
export const VG_TWO_LVS: readonly (readonly string[])[] = [
  ['part-disk', '/dev/sda', 'mbr'],
  ['pvcreate', '/dev/sda1'],
  ['vgcreate', 'VG', '/dev/sda1'],
  ['lvcreate', 'LV1', 'VG', '50'],
  ['lvcreate', 'LV2', 'VG', '50'],
];

/** libguestfs's tests' fixed UUID. */
export const STABLE_UUID = '01234567-89ab-cdef-0123-456789abcdef';
