// The layout editor: what changes a disk below the files — partition tables, LVM metadata,
// and (see fs-ops in this class) filesystems. Every change goes the same way: resolve the
// guest name to the host device, refuse a read-only drive or anything mounted on it, do the
// change with the real tool, then let the session find partitions, LVs and filesystems again.
import { open } from 'node:fs/promises';
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { parseSubvolumeList } from '../filesystems.js';
import type { LvInfo, VgInfo } from '../types.js';
import * as table from './partition-table.js';
import * as lvm from './lvm-create.js';
import * as fsa from '../fs-admin/index.js';
import { vgNameTaken, vgTarget } from './vg-target.js';

export interface LayoutTarget {
  canonical: string;
  host: string;
  kind: 'disk' | 'partition' | 'lv';
  /** why it cannot be written (a read-only drive, a volume decoded in userspace), if it cannot */
  writeRefusal?: JootError;
  /** the drive's index for a disk or partition; -1 for an LV */
  diskIndex: number;
  size?: number;
  fstype?: string;
}

/** What the session lends the editor (implemented in session.ts). */
export interface LayoutAccess {
  /** async: an LV gets its host device only when something uses it */
  target(name: string, opts?: { wholeDisk?: boolean }): Promise<LayoutTarget>;
  /** On the userspace engine: the reads answered in-process (every change is refused by `target`). */
  userspace?: {
    table(name: string): table.Table;
    size(name: string): bigint;
    blkid(name: string): Promise<[string, string][]>;
    /** df of a mounted filesystem, from its reader */
    usage(name: string): Promise<fsa.FilesystemUsage>;
    /** the subvolumes of the btrfs mounted at a guest directory, from its reader */
    btrfsSubvolumes(guestDir: string): Promise<{ id: number; topLevel: number; path: string }[]>;
  };
  /** host devices LVM may look at: the session's disks and partitions */
  lvmScope(): string[];
  canonicalOf(host: string): string;
  /** throws the target's writeRefusal (a read-only drive, a volume decoded in userspace), EBUSY when something on it is mounted */
  refuseIfInUse(canonical: string): void;
  /** after a change of whole disks' layout, or of one device's content */
  rescan(what: { disks?: number[]; device?: string }): Promise<void>;
  /** run with the session's error rewriting (host names → guest names) and tracking */
  guard<T>(fn: () => Promise<T>): Promise<T>;
  vgs(): VgInfo[];
  lvs(): LvInfo[];
  /** host path of an existing guest path (guest-rooted; never leaves the guest) */
  hostPathOf(guestPath: string): Promise<string>;
  /** host path for a new entry at a guest path (parent resolved inside the guest; refused read-only) */
  hostPathForCreate(guestPath: string): Promise<string>;
  refreshSubvolumes(): Promise<void>;
  /** every btrfs subvolume the session verified, as "ID:PATH" (after a refresh) */
  verifiedSubvolumes(): Set<string>;
  /** where the device is mounted on the host, if it is */
  mountedHostDir(canonical: string): string | undefined;
}

const MiB = 1024 * 1024;

export interface PartitionEntry {
  number: number;
  /** bytes, exact at any size */
  start: bigint;
  end: bigint;
  size: bigint;
}

export class LayoutEditor {
  constructor(readonly access: LayoutAccess) {}

  // ------------------------------------------------------------ reading

  /** The device's size in bytes: a bigint, exact beyond 2^53 (a 1 EiB image is 1152921504606846976). */
  async blockdevGetsize64(name: string): Promise<bigint> {
    return this.access.guard(async () => {
      if (this.access.userspace) return this.access.userspace.size(name);
      const t = await this.access.target(name);
      const r = await run('blockdev', ['--getsize64', t.host]);
      const text = r.stdout.trim();
      if (!/^\d+$/.test(text)) throw new JootError('EIO', `${t.canonical}: blockdev --getsize64 gave '${text}'`);
      return BigInt(text);
    });
  }

  /** Partitions of a disk: number, first byte, last byte (inclusive), size. */
  async partList(disk: string): Promise<PartitionEntry[]> {
    const t = await this.tableOf(disk);
    return t.partitions.map((p) => ({ number: p.number, start: p.start, end: p.start + p.size - 1n, size: p.size }));
  }

  /** "msdos" or "gpt", as parted (and guestfish) call them. */
  async partGetParttype(disk: string): Promise<string> {
    const t = await this.tableOf(disk);
    return t.type === 'dos' ? 'msdos' : 'gpt';
  }

  async partGetBootable(disk: string, n: number): Promise<boolean> {
    return this.partition(disk, n).then((p) => p.bootable || /LegacyBIOSBootable/.test(p.attrs ?? ''));
  }

  async partGetMbrId(disk: string, n: number): Promise<number> {
    const t = await this.tableOf(disk);
    if (t.type !== 'dos') throw new JootError('EINVAL', `${disk}: the MBR type byte exists only on MBR disks`);
    return parseInt((await this.partition(disk, n)).type, 16);
  }

  async partGetGptType(disk: string, n: number): Promise<string> {
    const t = await this.tableOf(disk);
    if (t.type !== 'gpt') throw new JootError('EINVAL', `${disk}: partition type GUIDs exist only on GPT disks`);
    return (await this.partition(disk, n)).type;
  }

  async partGetName(disk: string, n: number): Promise<string> {
    const t = await this.tableOf(disk);
    if (t.type !== 'gpt') throw new JootError('EINVAL', `${disk}: partition names exist only on GPT disks`);
    return (await this.partition(disk, n)).name ?? '';
  }

  private async partition(disk: string, n: number): Promise<table.TablePartition> {
    const p = (await this.tableOf(disk)).partitions.find((x) => x.number === n);
    if (!p) throw new JootError('ENOENT', `${disk}: partition ${n} does not exist`);
    return p;
  }

  private async tableOf(disk: string): Promise<table.Table> {
    return this.access.guard(async () => {
      if (this.access.userspace) return this.access.userspace.table(disk);
      const t = await this.access.target(disk, { wholeDisk: true });
      const tab = await table.readTable(t.host, t.size!);
      if (!tab) throw new JootError('EINVAL', `${t.canonical}: no partition table`);
      return tab;
    });
  }

  // ------------------------------------------------------------ partition tables

  async partInit(disk: string, type: string): Promise<void> {
    const tt = table.parseTableType(type);
    await this.changeDisk(disk, (t) => table.initTable(t.host, t.size!, tt));
  }

  /** Returns the number of the new partition. */
  async partAdd(disk: string, kind: string, startSector: number, endSector: number): Promise<number> {
    const k = table.parsePartKind(kind);
    return this.changeDisk(disk, (t) => table.addPartition(t.host, t.size!, k, startSector, endSector));
  }

  async partDisk(disk: string, type: string): Promise<void> {
    const tt = table.parseTableType(type);
    await this.changeDisk(disk, (t) => table.partitionWholeDisk(t.host, t.size!, tt));
  }

  /**
   * A new table with these partitions in one write, each typed for what it will hold (MBR byte
   * or GPT GUID from its content: 'lvm', 'swap', 'vfat', 'ntfs', else Linux). Sizes in bytes,
   * whole MiB; the first starts at 1 MiB; a size left out takes the rest.
   */
  async partTable(disk: string, type: string, parts: readonly { size?: number; content?: string }[]): Promise<void> {
    const tt = table.parseTableType(type);
    const typed = parts.map((p) => ({
      size: p.size === undefined ? undefined : p.size / 512,
      type: p.content === undefined ? undefined : tt === 'dos' ? table.mbrTypeFor(p.content).toString(16) : table.gptTypeFor(p.content),
    }));
    await this.changeDisk(disk, (t) => table.writeTable(t.host, t.size!, tt, typed));
  }

  async partDel(disk: string, n: number): Promise<void> {
    await this.changeDisk(disk, async (t) => {
      const tab = await table.readTable(t.host, t.size!);
      if (!tab?.partitions.some((p) => p.number === n)) throw new JootError('ENOENT', `${t.canonical}: partition ${n} does not exist`);
      await table.deletePartition(t.host, n);
    });
  }

  async partSetBootable(disk: string, n: number, on: boolean): Promise<void> {
    await this.changeDiskAttributes(disk, (t) => table.setBootable(t.host, t.size!, n, on));
  }

  async partSetName(disk: string, n: number, name: string): Promise<void> {
    await this.changeDiskAttributes(disk, (t) => table.setName(t.host, t.size!, n, name));
  }

  async partSetMbrId(disk: string, n: number, id: number): Promise<void> {
    await this.changeDiskAttributes(disk, (t) => table.setMbrId(t.host, t.size!, n, id));
  }

  async partSetGptType(disk: string, n: number, guid: string): Promise<void> {
    await this.changeDiskAttributes(disk, (t) => table.setGptType(t.host, t.size!, n, guid));
  }

  /** Give partition `partition` the type (MBR byte or GPT GUID) that says it holds `content`. */
  async partSetTypeFor(partition: string, content: string): Promise<void> {
    const p = await this.access.target(partition);
    if (p.kind !== 'partition') throw new JootError('EINVAL', `${p.canonical}: not a partition`);
    const disk = p.canonical.replace(/\d+$/, '');
    const n = Number(/(\d+)$/.exec(p.canonical)![1]);
    const type = await this.partGetParttype(disk);
    if (type === 'msdos') await this.partSetMbrId(disk, n, table.mbrTypeFor(content));
    else await this.partSetGptType(disk, n, table.gptTypeFor(content));
  }

  // ------------------------------------------------------------ LVM

  async pvcreate(device: string): Promise<void> {
    await this.changeDevice(device, async (t) => {
      if (t.kind === 'lv') throw new JootError('EINVAL', `${t.canonical}: a logical volume cannot be a physical volume here`);
      await lvm.pvcreate(t.host, this.access.lvmScope());
    });
  }

  async vgcreate(vg: string, pvs: string[]): Promise<void> {
    lvm.checkLvmName('VG', vg);
    await this.access.guard(async () => {
      if (vgNameTaken(this.access, vg)) throw new JootError('EINVAL', `vgcreate: a volume group named ${vg} exists already`);
      const targets: LayoutTarget[] = [];
      for (const p of pvs) targets.push(await this.access.target(p));
      for (const t of targets) {
        this.access.refuseIfInUse(t.canonical);
        if (t.fstype !== 'LVM2_member') throw new JootError('EINVAL', `${t.canonical}: not a physical volume (use pvcreate first)`);
      }
      try {
        await lvm.vgcreate(
          vg,
          targets.map((t) => t.host),
          this.access.lvmScope(),
        );
      } finally {
        await this.access.rescan({});
      }
    });
  }

  /** A linear LV of `size` (bytes, or a percentage of the VG's free space). */
  async lvcreate(lv: string, vg: string, size: lvm.LvSize): Promise<void> {
    lvm.checkLvmName('LV', lv);
    await this.access.guard(async () => {
      this.refuseVgInUse(vg);
      const target = vgTarget(this.access, vg);
      try {
        await lvm.lvcreate(target.name, lv, size, target.scope);
      } finally {
        await this.access.rescan({});
      }
      // lvm could not zero the start (nothing is activated): do it through our own mapping,
      // so an old filesystem signature there does not reappear on the new LV.
      const t = await this.access.target(`/dev/${vg}/${lv}`);
      await zeroStart(t.host, t.size ?? 1 << 20);
      await this.access.rescan({ device: t.canonical });
    });
  }

  /** Remove /dev/VG/LV, or with /dev/VG every LV of the VG (the VG stays), as guestfish's lvremove. */
  async lvremove(name: string): Promise<void> {
    await this.access.guard(async () => {
      const vg = /^\/dev\/([^/]+)$/.exec(name)?.[1];
      const lvs = vg
        ? this.access.lvs().filter((l) => l.vg === vg)
        : this.access.lvs().filter((l) => l.name === name || `/dev/${l.vg}/${l.lv}` === name);
      if (vg && !this.access.vgs().some((v) => v.name === vg))
        throw new JootError('ENOENT', `${name}: no such volume group or logical volume`);
      if (!vg && lvs.length === 0) throw new JootError('ENOENT', `${name}: no such logical volume`);
      for (const lv of lvs) this.access.refuseIfInUse(lv.name);
      const targets = lvs.map((lv) => ({ lv: lv.lv, vg: vgTarget(this.access, lv.vg) }));
      try {
        for (const t of targets) await lvm.lvremove(t.vg.name, t.lv, t.vg.scope);
      } finally {
        await this.access.rescan({});
      }
    });
  }

  async vgremove(vg: string): Promise<void> {
    await this.access.guard(async () => {
      this.refuseVgInUse(vg);
      const target = vgTarget(this.access, vg);
      try {
        await lvm.vgremove(target.name, target.scope);
      } finally {
        await this.access.rescan({});
      }
    });
  }

  async pvremove(device: string): Promise<void> {
    await this.changeDevice(device, (t) => lvm.pvremove(t.host, this.access.lvmScope()));
  }

  private refuseVgInUse(vg: string): void {
    const info = this.access.vgs().find((v) => v.name === vg);
    if (!info) throw new JootError('ENOENT', `${vg}: no such volume group`);
    for (const pv of info.pvs) this.access.refuseIfInUse(pv);
  }

  // ------------------------------------------------------------ filesystems

  async mkfs(device: string, opts: fsa.MkfsOptions): Promise<void> {
    fsa.mkfsCommands('/dev/null', opts); // every option checked before anything is written
    await this.changeDevice(device, async (t) => {
      // a filesystem on a whole disk hides the old partition table: erase it, as mkfs does not
      if (t.kind === 'disk') await fsa.wipeSignatures(t.host);
      await fsa.makeFilesystem(t.host, opts);
    });
  }

  async setLabel(device: string, label: string): Promise<void> {
    await this.changeExtMounted(device, (t) => fsa.setLabel(t.host, this.fstypeOf(t), label));
  }

  async setUuid(device: string, uuid: string): Promise<void> {
    await this.changeExtMounted(device, (t) => fsa.setUuid(t.host, this.fstypeOf(t), uuid));
  }

  /** tune2fs -U on an ext filesystem: a UUID, or clear, random or time (guestfish set-e2uuid). */
  async setE2uuid(device: string, uuid: string): Promise<void> {
    await this.changeExtMounted(device, (t) => {
      const type = this.fstypeOf(t);
      if (!/^ext[234]$/.test(type)) throw new JootError('EINVAL', `${t.canonical}: holds ${type}, not an ext2/3/4 filesystem`);
      if (['clear', 'random', 'time'].includes(uuid)) return fsa.setExtUuidSpecial(t.host, uuid as 'clear' | 'random' | 'time');
      return fsa.setUuid(t.host, type, uuid);
    });
  }

  /** fsck(8)'s exit status bits (0 clean, 1 corrected, 4 uncorrected errors…). */
  async fsck(device: string, opts: fsa.FsckOptions = {}): Promise<fsa.FsckResult> {
    const check = (t: LayoutTarget) => fsa.checkFilesystem(t.host, this.fstypeOf(t), opts);
    // a check that changes nothing needs no exclusive use, but a mounted filesystem is busy
    if (opts.repair) return this.changeDevice(device, check);
    return this.access.guard(async () => {
      const t = await this.access.target(device);
      if (this.access.mountedHostDir(t.canonical)) throw new JootError('EBUSY', `${t.canonical}: is mounted (umount it first)`);
      return check(t);
    });
  }

  async e2fsck(device: string, opts: fsa.E2fsckOptions = {}): Promise<number> {
    return this.changeDevice(device, (t) => fsa.e2fsck(t.host, opts));
  }

  async resize2fs(device: string, opts: fsa.ResizeOptions = {}): Promise<void> {
    await this.changeDevice(device, (t) => fsa.resize2fs(t.host, opts));
  }

  /** Erase filesystem, RAID, LVM and partition-table signatures (wipefs -a). */
  async wipefs(device: string): Promise<void> {
    await this.changeDevice(device, (t) => fsa.wipeSignatures(t.host));
  }

  async zeroDevice(device: string): Promise<void> {
    await this.changeDevice(device, (t) => fsa.zeroDevice(t.host));
  }

  /** guestfish zero: the first 32 blocks of 4 KiB. */
  async zero(device: string): Promise<void> {
    await this.changeDevice(device, (t) => fsa.zeroFirstBlocks(t.host));
  }

  /**
   * Make a disk blank: signatures wiped (its partitions' first) and the first and last MiB
   * zeroed, or with `all` every byte zeroed (sparse again where the image allows).
   */
  async wipeDisk(disk: string, opts: { all: boolean }): Promise<void> {
    await this.changeDisk(disk, async (t) => {
      await fsa.wipeSignatures(t.host);
      if (opts.all) return fsa.zeroDevice(t.host);
      // discard where the device supports it (a sparse image gets its space back), as virt-format
      await run('blkdiscard', [t.host], { allowFailure: true });
      await fsa.zeroStart(t.host, MiB);
    });
  }

  /** blkid's low-level probe of a device: TYPE, UUID, LABEL, PART_ENTRY_* … (host numbers left out). */
  async blkid(device: string): Promise<[string, string][]> {
    return this.access.guard(async () => {
      if (this.access.userspace) return this.access.userspace.blkid(device);
      const t = await this.access.target(device);
      const r = await run('blkid', ['-p', '-o', 'export', t.host], { allowFailure: true });
      if (r.exitCode === 2) return []; // nothing found
      if (r.exitCode !== 0) throw new JootError('ECMD', `blkid: ${t.canonical}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
      return r.stdout
        .split('\n')
        .map((l) => /^([A-Z_0-9]+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => !!m && m[1] !== 'DEVNAME' && m[1] !== 'PART_ENTRY_DISK')
        .map((m) => [m[1]!, m[2]!]);
    });
  }

  /** btrfs subvolumes of the filesystem mounted at a guest directory: id, top level, path. */
  async btrfsSubvolumeList(guestDir: string): Promise<{ id: number; topLevel: number; path: string }[]> {
    return this.access.guard(async () => {
      if (this.access.userspace) return this.access.userspace.btrfsSubvolumes(guestDir);
      const host = await this.access.hostPathOf(guestDir);
      const r = await run('btrfs', ['subvolume', 'list', host], { allowFailure: true });
      if (r.exitCode !== 0)
        throw new JootError(
          'ECMD',
          `btrfs subvolume list ${guestDir}: ${r.stderr
            .trim()
            .split('\n')
            .pop()
            ?.replace(/^ERROR:\s*/, '')}`,
        );
      // btrfs prints names raw: a name holding a newline could add a made-up line. Keep only
      // entries the session verified against the filesystem (session.ts, verifySubvolumes).
      await this.access.refreshSubvolumes();
      const verified = this.access.verifiedSubvolumes();
      return parseSubvolumeList(r.stdout)
        .filter((e) => verified.has(`${e.id}:${e.path}`))
        .map((e) => ({ id: e.id, topLevel: e.topLevel, path: e.path }));
    });
  }

  /** A new btrfs subvolume at a guest path (its parent inside a mounted btrfs). */
  async btrfsSubvolumeCreate(guestPath: string, opts: { qgroupid?: string } = {}): Promise<void> {
    const q = opts.qgroupid;
    if (q !== undefined && !/^\d+\/\d+$/.test(q))
      throw new JootError('EINVAL', `qgroupid: '${q}' is not a qgroup id (LEVEL/ID, e.g. 0/257)`);
    await this.access.guard(async () => {
      const host = await this.access.hostPathForCreate(guestPath);
      const r = await run('btrfs', ['subvolume', 'create', ...(q === undefined ? [] : ['-i', q]), host], { allowFailure: true });
      if (r.exitCode !== 0)
        throw new JootError(
          'ECMD',
          `btrfs subvolume create ${guestPath}: ${r.stderr
            .trim()
            .split('\n')
            .pop()
            ?.replace(/^ERROR:\s*/, '')}`,
        );
      await this.access.refreshSubvolumes();
    });
  }

  /** Push everything written to the disk down to the image (blockdev --flushbufs). */
  async flush(disk: string): Promise<void> {
    await this.access.guard(async () => {
      await run('blockdev', ['--flushbufs', (await this.access.target(disk)).host]);
    });
  }

  /** Usage of a mounted filesystem (df). */
  async usage(device: string): Promise<fsa.FilesystemUsage> {
    return this.access.guard(async () => {
      if (this.access.userspace) return this.access.userspace.usage(device);
      const t = await this.access.target(device);
      const dir = this.access.mountedHostDir(t.canonical);
      if (!dir) throw new JootError('EINVAL', `${t.canonical}: not mounted`);
      return fsa.filesystemUsage(dir);
    });
  }

  private fstypeOf(t: LayoutTarget): string {
    if (!t.fstype) throw new JootError('EINVAL', `${t.canonical}: no filesystem found`);
    return t.fstype;
  }

  // ------------------------------------------------------------ the change pattern

  /** A change of a whole disk's layout: afterwards its partitions are found again. */
  async changeDisk<T>(disk: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => {
      const t = await this.access.target(disk, { wholeDisk: true });
      this.access.refuseIfInUse(t.canonical);
      try {
        return await fn(t);
      } finally {
        await this.access.rescan({ disks: [t.diskIndex] });
      }
    });
  }

  /**
   * A change of partition attributes only (bootable flag, name, MBR id, GPT type): no partition
   * moves, so guestfish (parted) makes it also while a filesystem on the disk is mounted, and so
   * does this. Refused on a read-only drive. The partitions are found again only when nothing on
   * the disk is in use (with something mounted their geometry, the same as before, is kept).
   */
  async changeDiskAttributes<T>(disk: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => {
      const t = await this.access.target(disk, { wholeDisk: true });
      if (t.writeRefusal) throw t.writeRefusal;
      let idle = true;
      try {
        this.access.refuseIfInUse(t.canonical);
      } catch (e) {
        if (!(e instanceof JootError && e.code === 'EBUSY')) throw e;
        idle = false;
      }
      try {
        return await fn(t);
      } finally {
        if (idle) await this.access.rescan({ disks: [t.diskIndex] });
      }
    });
  }

  /**
   * The host device of a guest device, for what reads or sets its block-device state
   * (blockdev --getro, --setro): no mount check, no rescan. Refused on the userspace engine.
   */
  async withTarget<T>(name: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => fn(await this.access.target(name)));
  }

  /**
   * Raw bytes written to a device (pwrite-device, copy-…-to-device), as guestfish allows also
   * while something on it is mounted (an MBR's boot code goes on /dev/sda under a mounted
   * /dev/sda1): refused only on a read-only drive. Afterwards the device is probed again, as
   * in changeDevice, unless something on it is mounted (then its mounts are left alone).
   */
  async writeRaw<T>(name: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => {
      const t = await this.access.target(name);
      if (t.writeRefusal) throw t.writeRefusal;
      let idle = true;
      try {
        this.access.refuseIfInUse(t.canonical);
      } catch (e) {
        if (!(e instanceof JootError && e.code === 'EBUSY')) throw e;
        idle = false;
      }
      try {
        return await fn(t);
      } finally {
        if (idle) await this.access.rescan(t.kind === 'disk' ? { disks: [t.diskIndex] } : { device: t.canonical });
      }
    });
  }

  /**
   * A label or UUID change that e2label and tune2fs also make on a mounted ext filesystem
   * (through the kernel's ioctls), as guestfish allows: the filesystem's own mount does not
   * make it busy. Anything else mounted, another filesystem type, a read-only drive: refused
   * as by changeDevice.
   */
  private async changeExtMounted<T>(name: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    const t0 = await this.access.guard(() => this.access.target(name));
    const ext = t0.kind !== 'disk' && /^ext[234]$/.test(t0.fstype ?? '') && this.access.mountedHostDir(t0.canonical) !== undefined;
    if (!ext) return this.changeDevice(name, fn);
    return this.access.guard(async () => {
      const t = await this.access.target(name);
      try {
        this.access.refuseIfInUse(t.canonical);
      } catch (e) {
        // busy only because it is mounted itself (a partition or LV holds nothing else)
        if (!(e instanceof JootError && e.code === 'EBUSY')) throw e;
      }
      try {
        return await fn(t);
      } finally {
        await this.access.rescan({ device: t.canonical });
      }
    });
  }

  /** A change of one device's content (filesystem, PV): afterwards it is probed again. */
  async changeDevice<T>(name: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => {
      const t = await this.access.target(name);
      this.access.refuseIfInUse(t.canonical);
      try {
        return await fn(t);
      } finally {
        // a whole disk may have gained or lost a partition table
        await this.access.rescan(t.kind === 'disk' ? { disks: [t.diskIndex] } : { device: t.canonical });
      }
    });
  }
}

/** Zero the first MiB (or all of a smaller device). */
async function zeroStart(hostDevice: string, size: number): Promise<void> {
  const n = Math.min(size, 1 << 20);
  const fh = await open(hostDevice, 'r+');
  try {
    await fh.write(Buffer.alloc(n), 0, n, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
