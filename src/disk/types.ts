// The shapes both engines answer in: what a user sees of partitions, filesystems, LVM and
// probes. Every name in them is a canonical guest name (/dev/sda1, /dev/VG/LV), never a host
// device. The kernel engine (src/appliance) and the userspace engine (src/disk) fill the same
// shapes, so that their answers can be compared field by field.

/** What blkid -p finds on a device (its udev fields, decoded). */
export interface Probe {
  type?: string;
  /** exact, as the guest has it (the tools escape control characters on a terminal) */
  label?: string;
  uuid?: string;
  /** blkid's UUID_SUB: the member's own id where a filesystem or array spans several devices (btrfs, md) */
  uuidSub?: string;
  /** partition table type when the device holds one (dos, gpt) */
  ptType?: string;
  usage?: string;
  /** blkid's VERSION where it gives one (ext4 1.0, LVM2 001, LUKS 2, FAT32, …) */
  version?: string;
}

export interface PartitionInfo {
  /** canonical name, /dev/sda1 */
  name: string;
  /** canonical name of the disk, /dev/sda */
  disk: string;
  number: number;
  /** byte offset and size inside the disk */
  start: number;
  size: number;
  /** 'dos' | 'gpt' */
  scheme: string;
  /** MBR type byte as 0x83, or GPT type GUID */
  type: string;
  uuid?: string;
  label?: string;
  /** MBR extended container (holds logical partitions, no filesystem) */
  extended?: boolean;
}

export interface FilesystemInfo {
  /** canonical mountable name */
  name: string;
  /** blkid type (ext4, xfs, btrfs, swap, vfat, ntfs, LVM2_member, …) or 'unknown' */
  type: string;
  label?: string;
  uuid?: string;
}

export interface PvInfo {
  name: string; // canonical device holding the PV, e.g. /dev/sda2
  vg: string;
  uuid: string;
  size: number;
}

export interface VgInfo {
  name: string;
  uuid: string;
  extentSize: number;
  pvs: string[];
  lvs: string[];
}

export interface LvInfo {
  name: string; // /dev/VG/LV
  vg: string;
  lv: string;
  uuid: string;
  size: number;
  segtype: string;
  /** why it cannot be opened on this host, when it cannot */
  unavailable?: string;
}
