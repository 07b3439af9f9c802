// The records not yet given libguestfs's tests or a reason (issue 16, in progress): one line per
// record file, a blank line between, so the helpers that translate each file merge cleanly. A
// name leaves this list in the commit that gives its record a `from: 'libguestfs'` test or a
// `guestfishDiffers` reason.
export const NOT_YET_TRANSLATED: Readonly<Record<string, readonly string[]>> = {
  devices: ['list-devices', 'list-partitions'],

  partitions: [
    'part-list',
    'part-get-parttype',
    'part-init',
    'part-add',
    'part-disk',
    'part-del',
    'part-set-bootable',
    'part-get-bootable',
    'part-set-name',
    'part-get-name',
    'part-set-mbr-id',
    'part-get-mbr-id',
    'part-set-gpt-type',
    'part-get-gpt-type',
    'blockdev-getsize64',
  ],

  volumes: ['list-md-devices', 'md-detail', 'list-dm-devices', 'luks-open', 'luks-close'],

  filesystems: ['list-filesystems', 'vfs-type', 'vfs-label', 'vfs-uuid'],

  fsadmin: [
    'mkfs',
    'mkswap',
    'set-label',
    'set-uuid',
    'fsck',
    'e2fsck',
    'resize2fs',
    'resize2fs-size',
    'resize2fs-m',
    'wipefs',
    'zero-device',
    'df',
    'df-h',
    'blkid',
    'btrfs-subvolume-list',
    'btrfs-subvolume-create',
  ],

  lvm: [
    'pvs',
    'vgs',
    'lvs',
    'pvs-full',
    'vgs-full',
    'lvs-full',
    'pvcreate',
    'vgcreate',
    'lvcreate',
    'lvcreate-free',
    'lvremove',
    'vgremove',
    'pvremove',
  ],
};
