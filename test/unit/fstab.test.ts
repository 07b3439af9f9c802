import { describe, it, expect } from 'vitest';
import { compareMountpoints, parseFstab, parseOptions, resolveFstab, sortMountpoints, type DeviceModel } from '../../src/inspect/fstab.js';

const ROOT_UUID = '5a3b1e00-0000-4000-8000-000000000002';
const BOOT_UUID = '5a3b1e00-0000-4000-8000-000000000001';
const BTRFS_UUID = '0c5e3f2a-7d1b-4f5e-9a8b-1c2d3e4f5a6b';
const SWAP_UUID = '9f8e7d6c-5b4a-4321-8765-43210fedcba9';
const DATA_UUID = 'e1d2c3b4-a5f6-4789-8abc-def012345678';
const ESP_PARTUUID = '0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';
const LV_ROOT_UUID = 'Xq1v2E-aBcD-eFgH-iJkL-mNoP-qRsT-uVwXyZ'; // LVM form, 32 chars without dashes
const VG_UUID = 'Ab12Cd-34Ef-56Gh-78Ij-90Kl-12Mn-34OpQr';

/** Two disks: sda MBR (boot, LVM PV, swap, btrfs), sdb GPT (ESP, xfs data); LVs in vg0 and my-vg. */
function model(): DeviceModel {
  return {
    disks: ['/dev/sda', '/dev/sdb'],
    partitions: [
      { name: '/dev/sda1', disk: '/dev/sda', number: 1, uuid: 'a1b2c3d4-01' },
      { name: '/dev/sda2', disk: '/dev/sda', number: 2, uuid: 'a1b2c3d4-02' },
      { name: '/dev/sda3', disk: '/dev/sda', number: 3, uuid: 'a1b2c3d4-03' },
      { name: '/dev/sda4', disk: '/dev/sda', number: 4, uuid: 'a1b2c3d4-04' },
      { name: '/dev/sda10', disk: '/dev/sda', number: 10, uuid: 'a1b2c3d4-0a' },
      { name: '/dev/sdb1', disk: '/dev/sdb', number: 1, uuid: ESP_PARTUUID, label: 'EFI System Partition' },
      { name: '/dev/sdb2', disk: '/dev/sdb', number: 2, uuid: '1a2b3c4d-0000-4000-8000-00000000beef', label: 'data' },
      { name: '/dev/sdb3', disk: '/dev/sdb', number: 3, uuid: '1a2b3c4d-0000-4000-8000-00000000cafe', label: 'a/b' },
    ],
    filesystems: [
      { name: '/dev/sda1', type: 'ext4', label: 'boot', uuid: BOOT_UUID },
      // sda2 is an LVM PV: not a filesystem
      { name: '/dev/sda3', type: 'swap', uuid: SWAP_UUID },
      { name: '/dev/sda4', type: 'btrfs', label: 'btr', uuid: BTRFS_UUID },
      { name: 'btrfsvol:/dev/sda4/@', type: 'btrfs', label: 'btr', uuid: BTRFS_UUID },
      { name: 'btrfsvol:/dev/sda4/@home', type: 'btrfs', label: 'btr', uuid: BTRFS_UUID },
      { name: 'btrfsvol:/dev/sda4/@home/snap', type: 'btrfs', label: 'btr', uuid: BTRFS_UUID },
      { name: '/dev/sda10', type: 'ext2', label: 'ten' },
      { name: '/dev/sdb1', type: 'vfat', label: 'ESP', uuid: 'ABCD-1234' },
      { name: '/dev/sdb2', type: 'xfs', label: 'my data', uuid: DATA_UUID },
      { name: '/dev/sdb3', type: 'ext4', label: 'a/b' },
      { name: '/dev/vg0/root', type: 'ext4', label: 'root', uuid: ROOT_UUID },
      { name: '/dev/my-vg/lv-home', type: 'ext4', label: 'home' },
    ],
    lvs: [
      { name: '/dev/vg0/root', vg: 'vg0', lv: 'root', uuid: LV_ROOT_UUID },
      { name: '/dev/my-vg/lv-home', vg: 'my-vg', lv: 'lv-home' },
    ],
    btrfsSubvolumes: { '/dev/sda4': ['@', '@home', '@home/snap'] },
  };
}

function oneDisk(): DeviceModel {
  const m = model();
  return {
    ...m,
    disks: ['/dev/sda'],
    partitions: m.partitions.filter((p) => p.disk === '/dev/sda'),
    filesystems: m.filesystems.filter((f) => !f.name.startsWith('/dev/sdb')),
  };
}

const DM_UUID = `LVM-${VG_UUID.replace(/-/g, '')}${LV_ROOT_UUID.replace(/-/g, '')}`;

// [what, fstab line, expected device at the mountpoint (undefined: no mountpoint), warning pattern
// (undefined: no warning)]. The mountpoint is the line's second field unless given.
type Case = { what: string; line: string; device?: string; mp?: string; warn?: RegExp; m?: () => DeviceModel; root?: string };

const cases: Case[] = [
  // UUID= (case-insensitive: hex), quoted values, btrfs, LV uuid is not a fs uuid
  { what: 'UUID=', line: `UUID=${ROOT_UUID} / ext4 errors=remount-ro 0 1`, device: '/dev/vg0/root' },
  { what: 'UUID= upper case', line: `UUID=${ROOT_UUID.toUpperCase()} / ext4 defaults 0 1`, device: '/dev/vg0/root' },
  { what: 'UUID="quoted"', line: `UUID="${BOOT_UUID}" /boot ext4 defaults 0 2`, device: '/dev/sda1' },
  { what: 'UUID= of a vfat serial, lower case', line: 'UUID=abcd-1234 /boot/efi vfat umask=0077 0 1', device: '/dev/sdb1' },
  {
    what: 'UUID= unknown',
    line: 'UUID=00000000-1111-2222-3333-444444444444 /srv ext4 defaults 0 2',
    warn: /line 1: no filesystem with UUID=/,
  },
  { what: 'UUID= that is an LV uuid', line: `UUID=${LV_ROOT_UUID} /x ext4 defaults 0 0`, warn: /uuid of an LVM logical volume/ },
  { what: 'UUID= empty', line: 'UUID= /x ext4 defaults 0 0', warn: /empty value/ },
  // LABEL= (exact), octal escapes
  { what: 'LABEL=', line: 'LABEL=boot /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: 'LABEL= with \\040', line: 'LABEL=my\\040data /data xfs defaults 0 2', device: '/dev/sdb2' },
  { what: 'LABEL= is case-sensitive', line: 'LABEL=BOOT /boot ext4 defaults 0 2', warn: /no filesystem with LABEL="BOOT"/ },
  { what: 'LABEL= quoted', line: "LABEL='ten' /ten ext2 defaults 0 2", device: '/dev/sda10' },
  // PARTUUID= (MBR and GPT, any case), PARTLABEL=
  { what: 'PARTUUID= MBR', line: 'PARTUUID=a1b2c3d4-01 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: 'PARTUUID= MBR upper case', line: 'PARTUUID=A1B2C3D4-01 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: 'PARTUUID= MBR unpadded', line: 'PARTUUID=a1b2c3d4-1 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: 'PARTUUID= MBR partition 10 (hex 0a)', line: 'PARTUUID=a1b2c3d4-0A /ten ext2 defaults 0 2', device: '/dev/sda10' },
  { what: 'PARTUUID= GPT', line: `PARTUUID=${ESP_PARTUUID} /boot/efi vfat defaults 0 1`, device: '/dev/sdb1' },
  { what: 'PARTUUID= GPT upper case', line: `PARTUUID=${ESP_PARTUUID.toUpperCase()} /boot/efi vfat defaults 0 1`, device: '/dev/sdb1' },
  { what: 'PARTUUID= unknown', line: 'PARTUUID=deadbeef-01 /x ext4 defaults 0 0', warn: /no partition with PARTUUID=/ },
  {
    what: 'PARTUUID= of a PV',
    line: 'PARTUUID=a1b2c3d4-02 /x ext4 defaults 0 0',
    warn: /partition \/dev\/sda2, which holds no mountable filesystem/,
  },
  { what: 'PARTLABEL=', line: 'PARTLABEL=EFI\\040System\\040Partition /boot/efi vfat defaults 0 1', device: '/dev/sdb1' },
  { what: 'PARTLABEL= unknown', line: 'PARTLABEL=nope /x ext4 defaults 0 0', warn: /no partition with PARTLABEL="nope"/ },
  // /dev/disk/by-*
  { what: 'by-uuid', line: `/dev/disk/by-uuid/${DATA_UUID} /data xfs defaults 0 2`, device: '/dev/sdb2' },
  { what: 'by-label with \\x20', line: '/dev/disk/by-label/my\\x20data /data xfs defaults 0 2', device: '/dev/sdb2' },
  { what: 'by-label with \\x2f', line: '/dev/disk/by-label/a\\x2fb /ab ext4 defaults 0 2', device: '/dev/sdb3' },
  { what: 'by-partuuid', line: '/dev/disk/by-partuuid/a1b2c3d4-04 /mnt/b btrfs defaults 0 0', device: '/dev/sda4' },
  { what: 'by-partlabel', line: '/dev/disk/by-partlabel/EFI\\x20System\\x20Partition /efi vfat defaults 0 1', device: '/dev/sdb1' },
  {
    what: 'by-id with two disks',
    line: '/dev/disk/by-id/virtio-abc123-part1 /boot ext4 defaults 0 2',
    warn: /by-id names cannot be mapped when 2 disks/,
  },
  {
    what: 'by-id with one disk',
    line: '/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001-part1 /boot ext4 defaults 0 2',
    device: '/dev/sda1',
    m: oneDisk,
  },
  {
    what: 'by-id, partition missing',
    line: '/dev/disk/by-id/virtio-x-part7 /boot ext4 defaults 0 2',
    warn: /\/dev\/sda has no partition 7/,
    m: oneDisk,
  },
  { what: 'by-id dm-name', line: '/dev/disk/by-id/dm-name-my--vg-lv--home /home ext4 defaults 0 2', device: '/dev/my-vg/lv-home' },
  { what: 'by-id dm-uuid-LVM', line: `/dev/disk/by-id/dm-uuid-${DM_UUID} / ext4 defaults 0 1`, device: '/dev/vg0/root' },
  { what: 'by-id lvm-pv-uuid', line: '/dev/disk/by-id/lvm-pv-uuid-abc /x ext4 defaults 0 0', warn: /LVM physical volume/ },
  {
    what: 'by-path',
    line: '/dev/disk/by-path/pci-0000:00:04.0-part1 /boot ext4 defaults 0 2',
    warn: /by-path names depend on the guest's hardware/,
  },
  // LVM names
  { what: '/dev/mapper/VG-LV', line: '/dev/mapper/vg0-root / ext4 defaults 0 1', device: '/dev/vg0/root' },
  { what: '/dev/mapper with doubled dashes', line: '/dev/mapper/my--vg-lv--home /home ext4 defaults 0 2', device: '/dev/my-vg/lv-home' },
  {
    what: '/dev/mapper unknown (dm-crypt)',
    line: '/dev/mapper/luks-1234 /secret ext4 defaults 0 2',
    warn: /not a known LVM logical volume/,
  },
  { what: '/dev/VG/LV', line: '/dev/vg0/root / ext4 defaults 0 1', device: '/dev/vg0/root' },
  { what: '/dev/VG/LV with dashes', line: '/dev/my-vg/lv-home /home ext4 defaults 0 2', device: '/dev/my-vg/lv-home' },
  { what: '/dev/VG/LV unknown', line: '/dev/vg0/nope /x ext4 defaults 0 0', warn: /"\/dev\/vg0\/nope" is not a known LVM logical volume/ },
  { what: '/dev/dm-N', line: '/dev/dm-0 / ext4 defaults 0 1', warn: /\/dev\/dm-N numbers are assigned at boot/ },
  { what: '/dev/mdN', line: '/dev/md0 /raid ext4 defaults 0 2', warn: /no md array was found on the disks/ },
  // drive-order names
  { what: '/dev/sda1', line: '/dev/sda1 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: '/dev/vda1', line: '/dev/vda1 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: '/dev/hda1', line: '/dev/hda1 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: '/dev/xvda1', line: '/dev/xvda1 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: '/dev/vdb2 (second disk)', line: '/dev/vdb2 /data xfs defaults 0 2', device: '/dev/sdb2' },
  { what: '/dev/sda10', line: '/dev/sda10 /ten ext2 defaults 0 2', device: '/dev/sda10' },
  { what: '/dev/sdc1 (no third disk)', line: '/dev/sdc1 /x ext4 defaults 0 0', warn: /names disk #3 but only 2 disk\(s\)/ },
  { what: '/dev/sda9 (no such partition)', line: '/dev/sda9 /x ext4 defaults 0 0', warn: /\/dev\/sda has no partition 9/ },
  {
    what: '/dev/sda (partitioned disk)',
    line: '/dev/sda /x ext4 defaults 0 0',
    warn: /device \/dev\/sda, which holds no mountable filesystem/,
  },
  { what: '/dev/nvme0n1p1', line: '/dev/nvme0n1p1 /boot ext4 defaults 0 2', device: '/dev/sda1' },
  { what: '/dev/ada1p2 (FreeBSD GPT)', line: '/dev/ada1p2 /data xfs rw 2 2', device: '/dev/sdb2' },
  { what: '/dev/gpt/LABEL (FreeBSD)', line: '/dev/gpt/data /data xfs rw 2 2', device: '/dev/sdb2' },
  { what: 'unknown /dev name', line: '/dev/weird0 /x ext4 defaults 0 0', warn: /unrecognised device name/ },
  // /dev/root
  { what: '/dev/root', line: '/dev/root / ext4 rw 0 1', device: '/dev/vg0/root', root: '/dev/vg0/root' },
  { what: '/dev/root without a root', line: '/dev/root / ext4 rw 0 1', warn: /root device is not known/ },
  // btrfs
  {
    what: 'btrfs UUID= subvol=@',
    line: `UUID=${BTRFS_UUID} / btrfs defaults,subvol=@ 0 0`,
    device: 'btrfsvol:/dev/sda4/@',
    root: 'btrfsvol:/dev/sda4/@',
  },
  {
    what: 'btrfs subvol=/@home',
    line: `UUID=${BTRFS_UUID} /home btrfs subvol=/@home,compress=zstd 0 0`,
    device: 'btrfsvol:/dev/sda4/@home',
  },
  { what: 'btrfs nested subvol', line: `LABEL=btr /snap btrfs subvol=@home/snap 0 0`, device: 'btrfsvol:/dev/sda4/@home/snap' },
  { what: 'btrfs subvol= last wins', line: `LABEL=btr /home btrfs subvol=@,subvol=@home 0 0`, device: 'btrfsvol:/dev/sda4/@home' },
  { what: 'btrfs subvolid=5', line: `UUID=${BTRFS_UUID} /top btrfs subvolid=5 0 0`, device: '/dev/sda4' },
  { what: 'btrfs subvolid=256', line: `UUID=${BTRFS_UUID} /x btrfs subvolid=256 0 0`, warn: /subvolid="256" without subvol=/ },
  {
    what: 'btrfs subvol + subvolid',
    line: `UUID=${BTRFS_UUID} /home btrfs subvolid=257,subvol=@home 0 0`,
    device: 'btrfsvol:/dev/sda4/@home',
  },
  {
    what: 'btrfs unknown subvol',
    line: `UUID=${BTRFS_UUID} /x btrfs subvol=@nope 0 0`,
    warn: /subvolume "@nope" not found on \/dev\/sda4/,
  },
  { what: 'btrfs subvol=/ (top level)', line: `UUID=${BTRFS_UUID} /top btrfs subvol=/ 0 0`, device: '/dev/sda4' },
  { what: 'btrfs no subvol', line: `UUID=${BTRFS_UUID} /pool btrfs noatime 0 0`, device: '/dev/sda4' },
  { what: 'btrfs by device name, type auto', line: `/dev/vda4 / auto subvol=@ 0 0`, device: 'btrfsvol:/dev/sda4/@' },
  // skipped silently, as libguestfs skips them
  { what: 'swap', line: `UUID=${SWAP_UUID} none swap sw 0 0` },
  { what: 'swap file', line: '/swapfile none swap sw 0 0' },
  { what: 'proc', line: 'proc /proc proc defaults 0 0' },
  { what: 'sysfs', line: 'sysfs /sys sysfs defaults 0 0' },
  { what: 'devpts', line: 'devpts /dev/pts devpts gid=5,mode=620 0 0' },
  { what: 'tmpfs', line: 'tmpfs /tmp tmpfs defaults,size=2G 0 0' },
  { what: 'devtmpfs', line: 'devtmpfs /dev devtmpfs defaults 0 0' },
  { what: 'cgroup2', line: 'cgroup2 /sys/fs/cgroup cgroup2 defaults 0 0' },
  { what: 'securityfs', line: 'securityfs /sys/kernel/security securityfs defaults 0 0' },
  { what: 'debugfs', line: 'debugfs /sys/kernel/debug debugfs defaults 0 0' },
  { what: 'mqueue', line: 'mqueue /dev/mqueue mqueue defaults 0 0' },
  { what: 'hugetlbfs', line: 'hugetlbfs /hugepages hugetlbfs defaults 0 0' },
  { what: 'nfs', line: 'fileserver:/export/home /home nfs rw,hard 0 0' },
  { what: 'nfs4', line: 'fileserver:/ /net nfs4 rw 0 0' },
  { what: 'cifs', line: '//server/share /mnt/share cifs credentials=/root/.c 0 0' },
  { what: 'cdrom (Debian installer line)', line: '/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0' },
  { what: '/dev/cdrom', line: '/dev/cdrom /mnt/cdrom auto ro,noauto 0 0' },
  { what: 'floppy', line: '/dev/fd0 /floppy auto noauto 0 0' },
  { what: 'iso9660 type', line: 'LABEL=INSTALL /install iso9660 ro 0 0' },
  { what: '/media/*', line: '/dev/sdb2 /media/usb xfs defaults 0 0' },
  { what: 'bind mount', line: '/srv/data /home/data none bind 0 0' },
  { what: 'bind mount with a type', line: '/var/lib/x /x ext4 rbind 0 0' },
  { what: 'noauto, unresolvable', line: 'UUID=00000000-0000-0000-0000-000000000000 /backup ext4 noauto 0 0' },
  { what: 'nofail, unresolvable', line: 'LABEL=cloud-data /data ext4 defaults,nofail 0 2' },
  { what: 'comment', line: '# UUID=x / ext4 defaults 0 1' },
  { what: 'indented comment', line: '   \t# /dev/sda1 / ext4' },
  { what: 'blank', line: '   \t  ' },
  // noauto but resolvable: kept, as libguestfs keeps it
  { what: 'noauto, resolvable', line: 'LABEL=boot /boot ext4 noauto 0 0', device: '/dev/sda1' },
  // garbage and oddities
  { what: 'one field', line: 'garbage', warn: /line 1: expected at least a device and a mountpoint, got "garbage"/ },
  { what: 'seven fields', line: '/dev/sda1 /boot ext4 defaults 0 2 extra', warn: /at most 6 fields, got 7/ },
  { what: 'non-numeric pass', line: '/dev/sda1 /boot ext4 defaults 0 x', warn: /pass field is not a number/ },
  { what: 'two fields (type auto)', line: '/dev/sda1 /boot', device: '/dev/sda1' },
  { what: 'relative mountpoint', line: '/dev/sda1 boot ext4 defaults 0 0', warn: /mountpoint "boot" is not an absolute path/ },
  { what: "'..' in mountpoint", line: '/dev/sda1 /a/../b ext4 defaults 0 0', warn: /contains '\.\.'/ },
  { what: 'messy mountpoint', line: '/dev/sda1 ///boot//./ ext4 defaults 0 0', device: '/dev/sda1', mp: '/boot' },
  { what: 'mountpoint with \\040', line: '/dev/sda10 /my\\040disk ext2 defaults 0 0', device: '/dev/sda10', mp: '/my disk' },
  { what: 'unsupported tag', line: 'ID=abc /x ext4 defaults 0 0', warn: /unsupported tag "ID="/ },
  { what: 'lower-case tag', line: `uuid=${ROOT_UUID} / ext4 defaults 0 1`, warn: /unsupported tag "uuid="/ },
  { what: 'image file', line: '/home/disk.img /mnt/img ext4 loop 0 0', warn: /not a block device/ },
  { what: 'swap named on a mount line', line: `UUID=${SWAP_UUID} /x ext4 defaults 0 0` },
  { what: 'control characters quoted', line: 'LABEL=\x1b[31m /x ext4 defaults 0 0', warn: /"\\u001b\[31m"/ },
];

describe('resolveFstab: one line of each kind', () => {
  for (const c of cases) {
    it(c.what, () => {
      const r = resolveFstab(`${c.line}\n`, (c.m ?? model)(), { rootDevice: c.root });
      if (c.device !== undefined) {
        const mp = c.mp ?? c.line.split(/[ \t]+/)[1]!.replace(/(.)\/+$/, '$1');
        expect(r.mountpoints).toEqual([expect.objectContaining({ mountpoint: mp, device: c.device })]);
      } else {
        expect(r.mountpoints).toEqual([]);
      }
      if (c.warn) {
        expect(r.warnings).toHaveLength(1);
        expect(r.warnings[0]).toMatch(c.warn);
        expect(r.warnings[0]).toMatch(/^fstab line 1: /);
      } else {
        expect(r.warnings).toEqual([]);
      }
    });
  }
});

describe('resolveFstab: whole files', () => {
  it('resolves a typical LVM + btrfs fstab, sorted as virt-inspector sorts', () => {
    const text = [
      '# /etc/fstab: static file system information.',
      '#',
      '# <file system> <mount point>   <type>  <options>       <dump>  <pass>',
      `/dev/mapper/vg0-root /               ext4    errors=remount-ro 0       1`,
      `UUID=${BOOT_UUID} /boot           ext4    defaults        0       2`,
      `UUID=ABCD-1234  /boot/efi       vfat    umask=0077      0       1`,
      `/dev/mapper/my--vg-lv--home /home ext4 defaults 0 2`,
      `UUID=${BTRFS_UUID} /home/snap btrfs subvol=@home/snap 0 0`,
      `UUID=${SWAP_UUID} none            swap    sw              0       0`,
      '/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0',
      'tmpfs /tmp tmpfs defaults 0 0',
      '',
    ].join('\r\n');
    const r = resolveFstab(text, model(), { rootDevice: '/dev/vg0/root' });
    expect(r.warnings).toEqual([]);
    expect(r.mountpoints.map((m) => [m.mountpoint, m.device])).toEqual([
      ['/', '/dev/vg0/root'],
      ['/boot', '/dev/sda1'],
      ['/home', '/dev/my-vg/lv-home'],
      ['/boot/efi', '/dev/sdb1'],
      ['/home/snap', 'btrfsvol:/dev/sda4/@home/snap'],
    ]);
    expect(r.mountpoints[0]).toEqual({ mountpoint: '/', device: '/dev/vg0/root', vfstype: 'ext4', options: 'errors=remount-ro' });
    expect(r.swaps).toEqual(['/dev/sda3']);
  });

  it('duplicate mountpoints: the later line wins, with a warning naming both lines', () => {
    const r = resolveFstab('LABEL=boot /boot ext4 defaults 0 2\n# c\n/dev/sda10 /boot/ ext2 defaults 0 2\n', model());
    expect(r.mountpoints).toEqual([{ mountpoint: '/boot', device: '/dev/sda10', vfstype: 'ext2', options: 'defaults' }]);
    expect(r.warnings).toEqual(['fstab line 3: mountpoint "/boot" also on line 1; line 3 wins']);
  });

  it("'/' is absent when its line does not resolve (never invented)", () => {
    const r = resolveFstab('UUID=0000 / ext4 defaults 0 1\nLABEL=boot /boot ext4 defaults 0 2\n', model(), { rootDevice: '/dev/vg0/root' });
    expect(r.mountpoints.map((m) => m.mountpoint)).toEqual(['/boot']);
    expect(r.warnings).toEqual([expect.stringMatching(/^fstab line 1: no filesystem with UUID=/)]);
  });

  it("warns when '/' is not the filesystem the fstab was read from", () => {
    const r = resolveFstab('LABEL=boot / ext4 defaults 0 1\n', model(), { rootDevice: '/dev/vg0/root' });
    expect(r.mountpoints).toEqual([expect.objectContaining({ mountpoint: '/', device: '/dev/sda1' })]);
    expect(r.warnings).toEqual([expect.stringMatching(/'\/' is \/dev\/sda1, but this fstab was read from \/dev\/vg0\/root/)]);
  });

  it('no such warning for a btrfs root given as its subvolume', () => {
    const r = resolveFstab(`UUID=${BTRFS_UUID} / btrfs subvol=@ 0 0\n`, model(), { rootDevice: 'btrfsvol:/dev/sda4/@' });
    expect(r.warnings).toEqual([]);
  });

  it('cloned filesystems (same UUID on two disks): prefers the root, else its disk, and warns', () => {
    const m = model();
    m.filesystems.push({ name: '/dev/sdb4', type: 'ext4', uuid: BOOT_UUID });
    m.partitions.push({ name: '/dev/sdb4', disk: '/dev/sdb', number: 4 });
    const onB = resolveFstab(`UUID=${BOOT_UUID} / ext4 defaults 0 1\n`, m, { rootDevice: '/dev/sdb4' });
    expect(onB.mountpoints[0]!.device).toBe('/dev/sdb4');
    expect(onB.warnings).toEqual([expect.stringMatching(/matches 2 devices \(\/dev\/sda1, \/dev\/sdb4\); using \/dev\/sdb4/)]);
    const fromDisk = resolveFstab(`UUID=${BOOT_UUID} /boot ext4 defaults 0 1\n`, m, { rootDevice: '/dev/sdb2' });
    expect(fromDisk.mountpoints[0]!.device).toBe('/dev/sdb4');
    const first = resolveFstab(`UUID=${BOOT_UUID} /boot ext4 defaults 0 1\n`, m);
    expect(first.mountpoints[0]!.device).toBe('/dev/sda1');
  });

  it('two VGs named vgc (cloned guests on sdc and sdd): each fstab means its own VG, its /boot on its own disk', () => {
    const m = model();
    m.disks.push('/dev/sdc', '/dev/sdd');
    for (const d of ['/dev/sdc', '/dev/sdd']) {
      m.partitions.push({ name: `${d}1`, disk: d, number: 1 }, { name: `${d}2`, disk: d, number: 2 });
      m.filesystems.push({ name: `${d}1`, type: 'ext4', uuid: 'c10e0000-0000-4000-8000-000000000001' });
    }
    for (const vg of ['vgc', 'vgc@sdd2']) {
      for (const lv of ['root', 'var-log']) {
        m.lvs.push({ name: `/dev/${vg}/${lv}`, vg, lv });
        m.filesystems.push({ name: `/dev/${vg}/${lv}`, type: 'ext4' });
      }
    }
    m.vgs = [
      { name: 'vgc', pvs: ['/dev/sdc2'] },
      { name: 'vgc@sdd2', pvs: ['/dev/sdd2'] },
    ];
    const fstab =
      '/dev/mapper/vgc-root / ext4 defaults 0 1\nUUID=c10e0000-0000-4000-8000-000000000001 /boot ext4 defaults 0 2\n' +
      '/dev/vgc/var-log /var/log ext4 defaults 0 2\n/dev/disk/by-id/dm-name-vgc-var--log /srv ext4 defaults 0 2\n';
    const mps = (root?: string) => {
      const r = resolveFstab(fstab, m, { rootDevice: root });
      return { mps: Object.fromEntries(r.mountpoints.map((x) => [x.mountpoint, x.device])), warnings: r.warnings };
    };
    const a = mps('/dev/vgc/root');
    expect(a.mps).toEqual({ '/': '/dev/vgc/root', '/boot': '/dev/sdc1', '/var/log': '/dev/vgc/var-log', '/srv': '/dev/vgc/var-log' });
    expect(a.warnings).toEqual([expect.stringMatching(/fstab line 2: UUID=.* matches 2 devices .*; using \/dev\/sdc1/)]);
    const b = mps('/dev/vgc@sdd2/root');
    expect(b.mps).toEqual({
      '/': '/dev/vgc@sdd2/root',
      '/boot': '/dev/sdd1',
      '/var/log': '/dev/vgc@sdd2/var-log',
      '/srv': '/dev/vgc@sdd2/var-log',
    });
    expect(b.warnings).toEqual([expect.stringMatching(/fstab line 2: .*; using \/dev\/sdd1/)]);
    // a root on a partition of sdd (no LV): the namesake on sdd
    expect(mps('/dev/sdd1').mps['/var/log']).toBe('/dev/vgc@sdd2/var-log');
    // no root to go by: the plain name, and a warning naming both
    const none = resolveFstab('/dev/vgc/var-log /var/log ext4 defaults 0 2\n', m);
    expect(none.mountpoints[0]!.device).toBe('/dev/vgc/var-log');
    expect(none.warnings).toEqual([
      'fstab line 1: "/dev/vgc/var-log" names 2 logical volumes (/dev/vgc/var-log, /dev/vgc@sdd2/var-log: volume groups of one name); using /dev/vgc/var-log',
    ]);
  });

  it('a multi-device btrfs (one UUID on several devices) resolves quietly to the first', () => {
    const m = model();
    m.filesystems.push({ name: '/dev/sdb4', type: 'btrfs', uuid: BTRFS_UUID });
    m.partitions.push({ name: '/dev/sdb4', disk: '/dev/sdb', number: 4 });
    const r = resolveFstab(`UUID=${BTRFS_UUID} / btrfs subvol=@ 0 0\n`, m);
    expect(r.mountpoints[0]!.device).toBe('btrfsvol:/dev/sda4/@');
    expect(r.warnings).toEqual([]);
  });

  it('swap devices are listed once, swap files and absent nofail swaps are quiet', () => {
    const r = resolveFstab(
      [
        `UUID=${SWAP_UUID} none swap sw 0 0`,
        '/dev/vda3 swap swap defaults 0 0',
        '/swapfile none swap sw 0 0',
        'UUID=0000 none swap sw,nofail 0 0',
        'LABEL=gone none swap sw 0 0',
      ].join('\n'),
      model(),
    );
    expect(r.swaps).toEqual(['/dev/sda3']);
    expect(r.mountpoints).toEqual([]);
    expect(r.warnings).toEqual([expect.stringMatching(/^fstab line 5: swap: no filesystem with LABEL="gone"/)]);
  });

  it('garbage lines warn with their line numbers and do not stop the good ones', () => {
    const text = [
      'junk',
      `UUID=${ROOT_UUID} / ext4 defaults 0 1`,
      'a b c d e f g h',
      '\0\0\0',
      '/dev/sda1 /boot ext4 defaults zero 2',
      'LABEL=boot /boot ext4 defaults 0 2',
    ].join('\n');
    const r = resolveFstab(text, model());
    expect(r.mountpoints.map((m) => m.mountpoint)).toEqual(['/', '/boot']);
    expect(r.warnings.map((w) => w.replace(/:.*/, ''))).toEqual(['fstab line 1', 'fstab line 3', 'fstab line 4', 'fstab line 5']);
  });

  it('an empty model resolves nothing, with one warning per line, and never throws', () => {
    const empty: DeviceModel = { filesystems: [], partitions: [], disks: [], lvs: [], btrfsSubvolumes: {} };
    const r = resolveFstab(`UUID=${ROOT_UUID} / ext4 defaults 0 1\n/dev/sda1 /boot ext4 defaults 0 2\n`, empty);
    expect(r.mountpoints).toEqual([]);
    expect(r.warnings).toHaveLength(2);
  });

  it('64 KiB of garbage is quick, and the warnings are capped', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const alphabet = 'abcUUID=LABEL=/dev/mapper/sd--x\\040\\x2f "\'#,=\t 0123456789\n\n\n';
    let text = '';
    while (text.length < 64 * 1024) text += alphabet[Math.floor(rnd() * alphabet.length)];
    // plus pathological shapes: one huge line, many dashes for the mapper split, many commas
    const patho = [
      `/dev/mapper/${'-'.repeat(20000)} /x ext4 defaults 0 0`,
      `/dev/mapper/${'a-'.repeat(8000)} /x ext4 defaults 0 0`,
      `LABEL=boot /x ext4 ${','.repeat(15000)}subvol=${'"'.repeat(999)} 0 0`,
      `${'x'.repeat(70000)}`,
      `/dev/disk/by-label/${'\\x'.repeat(7000)} /x ext4 defaults 0 0`,
    ].join('\n');
    const t0 = performance.now();
    const r = resolveFstab(`${text}\n${patho}\n`, model());
    const r2 = resolveFstab('x y\n'.repeat(16 * 1024), model());
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(r.warnings.length).toBeLessThanOrEqual(101);
    expect(r2.warnings).toHaveLength(101);
    expect(r2.warnings[100]).toMatch(/^fstab: \d+ more warning\(s\) not shown$/);
  });

  it('random input never throws', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const pieces = [
      'UUID=',
      'LABEL=',
      'PARTUUID=',
      'PARTLABEL=',
      '/dev/',
      'disk/by-id/',
      'mapper/',
      'sda',
      'vdb',
      '1',
      '-part2',
      'btrfs',
      'subvol=',
      'subvolid=',
      ',',
      ' ',
      '\t',
      '\n',
      '/',
      '\\040',
      '\\x2f',
      '#',
      '"',
      'none',
      'swap',
      'bind',
      '..',
      '\u00e9',
      '\ud83d\ude00',
      '\0',
      '\r',
    ];
    for (let i = 0; i < 300; i++) {
      let line = '';
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) line += pieces[Math.floor(rnd() * pieces.length)];
      expect(() => resolveFstab(line, model(), { rootDevice: '/dev/sda1' })).not.toThrow();
    }
  });
});

describe('parseFstab', () => {
  it('decodes octal escapes and fills defaults', () => {
    const { entries, warnings } = parseFstab('LABEL=a\\040b /mnt/x\\011y ext4\n/dev/sda1 /boot\r\n\n# c\n/dev/sdb1 /b vfat ro,uid=0 1 2');
    expect(warnings).toEqual([]);
    expect(entries).toEqual([
      { line: 1, spec: 'LABEL=a b', file: '/mnt/x\ty', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 0 },
      { line: 2, spec: '/dev/sda1', file: '/boot', vfstype: 'auto', options: 'defaults', freq: 0, passno: 0 },
      { line: 5, spec: '/dev/sdb1', file: '/b', vfstype: 'vfat', options: 'ro,uid=0', freq: 1, passno: 2 },
    ]);
  });

  it('a backslash not followed by three octal digits stays', () => {
    expect(parseFstab('a\\0b\\999 /x').entries[0]!.spec).toBe('a\\0b\\999');
    expect(parseFstab('a\\134 /x').entries[0]!.spec).toBe('a\\');
  });

  it('parseOptions keeps quoted commas', () => {
    expect(parseOptions('defaults,context="a,b",subvol=@x,ro')).toEqual([
      { name: 'defaults' },
      { name: 'context', value: 'a,b' },
      { name: 'subvol', value: '@x' },
      { name: 'ro' },
    ]);
  });
});

describe('sortMountpoints', () => {
  it('shortest first, then byte order (virt-inspector compare_keys_len)', () => {
    const rec = { '/var/log': 'a', '/home': 'b', '/': 'c', '/boot/efi': 'd', '/boot': 'e', '/srv': 'f', '/usr': 'g' };
    expect(Object.keys(sortMountpoints(rec))).toEqual(['/', '/srv', '/usr', '/boot', '/home', '/var/log', '/boot/efi']);
    expect(sortMountpoints(rec)['/boot']).toBe('e');
  });

  it('sorts arrays by mountpoint, lengths in UTF-8 bytes', () => {
    const arr = [{ mountpoint: '/é' }, { mountpoint: '/ab' }, { mountpoint: '/Z' }, { mountpoint: '/a' }];
    // '/é' is 3 bytes long like '/ab'; 'Z' sorts before 'a'; 0x61 'a' before 0xc3 'é'
    expect(sortMountpoints(arr).map((m) => m.mountpoint)).toEqual(['/Z', '/a', '/ab', '/é']);
    expect(compareMountpoints('/', '/')).toBe(0);
  });
});
