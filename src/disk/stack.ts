// The userspace engine's view of a session's disks: every image opened as a byte source, its
// partition table read, every device probed, md arrays assembled, LUKS volumes opened with the
// keys given, LVM read from its text metadata — each a ByteSource over the ones below, named
// as the guest would name it (/dev/sda1, /dev/md127, /dev/mapper/luks-UUID, /dev/VG/LV).
// Nothing is attached, nothing is mounted, no root is needed.
//
// Layers may nest (LVM on LUKS on a partition, LUKS on an LV, LVM on md), so the stack grows to
// a fixed point: each round assembles the md arrays, opens the LUKS volumes and reads the LVM
// metadata found so far, and probes what appeared; at most MAX_ROUNDS rounds (guest metadata
// cannot make it loop).
import { JootError } from '../core/errors.js';
import { type OpenedImage, openImage } from './containers/index.js';
import type { BackingAllowance } from './containers/named-path.js';
import { diskName } from './names.js';
import { probe } from './probe/index.js';
import { btrfsSiblings, laterBtrfsMembers } from './probe/multi-device.js';
import { type ByteSource, FileSource, holdSyncFileReads, SliceSource } from './source.js';
import { headerKeyFor, keyFor, type LuksKey } from './keys.js';
// LVM, md and LUKS code loads when a device holds one (most disks hold none): see volumes()
import type { LvmVolumes } from './volumes/lvm/index.js';
import type { MdArray } from './volumes/md/index.js';
import type { LuksHeader } from './volumes/luks/index.js';
import { type PartitionTable, readPartitionTable, toPartitionInfos } from './volumes/partitions.js';
import type { FilesystemInfo, LvInfo, PartitionInfo, Probe, PvInfo, VgInfo } from './types.js';

/** LVs probed for a filesystem when the stack is built; the others when first asked about. */
export const MAX_LV_PROBES = 64;
const MAX_ROUNDS = 8;

/** The LUKS code, loaded with the first LUKS device. */
const luks = () => import('./volumes/luks/index.js');

export type StackKind = 'disk' | 'partition' | 'md' | 'luks' | 'lv';

export interface StackDevice {
  canonical: string;
  kind: StackKind;
  /** the bytes; absent for a device that cannot be read here (then `unavailable` says why) */
  source?: ByteSource;
  probe: Probe;
  probed: boolean;
  partition?: PartitionInfo;
  /** a disk's (or md array's) partition table */
  table?: PartitionTable;
  unavailable?: string;
  /** LUKS: the header, and the name its opened volume has once opened */
  luks?: LuksHeader;
  /** LUKS: the canonical name of the volume opened from it */
  openedAs?: string;
}

export interface DriveSpec extends BackingAllowance {
  path: string;
  format?: string;
}

export interface StackOptions {
  /** keys for LUKS volumes (--key) */
  keys?: readonly LuksKey[];
  /** Asked for a LUKS volume no key matched (--keys-from-stdin); undefined leaves it closed. */
  askKey?: (device: string) => Promise<Buffer | undefined>;
  /** Told once of each md member or array, or LVM PV or VG, left out and why (a bad superblock or metadata). */
  onProblem?: (e: JootError) => void;
}

export class DiskStack implements AsyncDisposable {
  private readonly map = new Map<string, StackDevice>();
  private images: OpenedImage[] = [];
  private lvm?: LvmVolumes;
  private md: MdArray[] = [];
  private readonly sources: ByteSource[] = [];
  /** the problems told (StackOptions.onProblem) */
  private readonly told = new Set<string>();

  private constructor(private readonly opts: StackOptions) {}

  /** Open every drive and build the stack; on failure everything opened so far is closed. */
  static async open(drives: readonly DriveSpec[], opts: StackOptions = {}): Promise<DiskStack> {
    const s = new DiskStack(opts);
    // The scan reads metadata only: tens to hundreds of small reads, mostly of the page cache.
    // Synchronous, each costs a syscall; asynchronous, a round trip through libuv's thread
    // pool (and its start), which made up most of a short run's open.
    const release = holdSyncFileReads();
    try {
      await s.build(drives);
      return s;
    } catch (e) {
      await s.close().catch(() => undefined);
      throw e;
    } finally {
      release();
    }
  }

  private async build(drives: readonly DriveSpec[]): Promise<void> {
    // opened one by one: a failure leaves only what was opened before, and it is closed
    for (const [i, d] of drives.entries()) {
      const img = await openImage(d.path, { ...d, name: d.path });
      this.images.push(img);
      this.set({ canonical: diskName(i), kind: 'disk', source: img, probe: {}, probed: false });
    }
    for (const [i, img] of this.images.entries()) {
      const disk = this.map.get(diskName(i))!;
      const table = await readPartitionTable(img);
      if (!table) continue;
      disk.table = table;
      const infos = toPartitionInfos(table, i);
      for (const p of infos) {
        // an extended partition's device is its first 1 KiB, the EBR (as the kernel makes it)
        const source = new SliceSource(img, p.start, p.extended ? Math.min(p.size, 1024) : p.size, p.name);
        this.set({ canonical: p.name, kind: 'partition', source, probe: {}, probed: false, partition: p });
      }
    }
    await this.probeNew();
    await this.grow();
  }

  /** Assemble, open and scan until nothing new appears. */
  private async grow(): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const before = this.map.size;
      await this.assembleMd();
      await this.openLuksVolumes();
      await this.scanLvm();
      await this.probeNew();
      if (this.map.size === before) return;
    }
  }

  /** A volume left out, and why: told once (the scans run again at each round of grow()). */
  private tell(e: JootError): void {
    if (this.told.has(e.message)) return;
    this.told.add(e.message);
    this.opts.onProblem?.(e);
  }

  private async assembleMd(): Promise<void> {
    const members = this.all().filter((d) => d.source && d.probe.type === 'linux_raid_member');
    if (members.length === 0) return;
    const { scanMd } = await import('./volumes/md/index.js');
    const arrays = await scanMd(
      members.map((d) => ({ name: d.canonical, source: d.source! })),
      { onProblem: (e) => this.tell(e) },
    );
    for (const a of arrays) {
      if (this.map.has(a.name)) continue;
      this.md.push(a);
      this.sources.push(a.source);
      this.set({ canonical: a.name, kind: 'md', source: a.source, probe: {}, probed: false });
    }
  }

  private async openLuksVolumes(): Promise<void> {
    for (const d of this.all()) {
      const detached = headerKeyFor(this.opts.keys ?? [], d.canonical);
      if (detached && d.source && !d.openedAs && d.kind !== 'luks') {
        await this.openDetached(d.canonical, d.source, detached.header, detached.key);
        continue;
      }
      if (d.kind === 'luks' || !d.source || d.probe.type !== 'crypto_LUKS' || d.luks) continue;
      d.luks = await (await luks()).readLuksHeader(d.source);
      if (!d.luks) continue;
      const key = keyFor(this.opts.keys ?? [], d.canonical, d.luks.uuid) ?? (await this.opts.askKey?.(d.canonical));
      if (key) await this.luksOpen(d.canonical, key, `luks-${d.luks.uuid}`);
    }
  }

  /** Open the LUKS volume on `device` as /dev/mapper/`mapName` (guestfish luks-open). */
  async luksOpen(device: string, key: Buffer, mapName: string): Promise<void> {
    const d = this.get(device);
    if (!d.source || d.probe.type !== 'crypto_LUKS') throw new JootError('EINVAL', `${d.canonical}: not a LUKS device`);
    if (!/^[A-Za-z0-9_.+-][A-Za-z0-9_.+:-]{0,126}$/.test(mapName)) throw new JootError('EINVAL', `${mapName}: not a valid mapper name`);
    const name = `/dev/mapper/${mapName}`;
    if (this.map.has(name)) throw new JootError('EEXIST', `${name}: already exists`);
    if (d.openedAs) throw new JootError('EBUSY', `${d.canonical}: already opened as ${d.openedAs}`);
    const source = await (await luks()).openLuks(d.source, key, name);
    this.sources.push(source);
    d.openedAs = name;
    this.set({ canonical: name, kind: 'luks', source, probe: {}, probed: false });
  }

  /** The data on `device` decrypted with the detached header in the host file `headerPath`,
   *  as /dev/mapper/luks-UUID (the header's UUID). */
  private async openDetached(device: string, data: ByteSource, headerPath: string, key: Buffer): Promise<void> {
    const what = `--key ${device}:header:${headerPath}`;
    let header: FileSource;
    try {
      header = await FileSource.open(headerPath, `${what}`);
    } catch (e) {
      if (e instanceof JootError) throw e;
      throw new JootError('ENOENT', `${what}: ${(e as NodeJS.ErrnoException).code ?? 'cannot open'}`);
    }
    this.sources.push(header);
    const { readLuksHeader, openLuksDetached } = await luks();
    const hdr = await readLuksHeader(header, { name: device, size: data.size });
    if (!hdr) throw new JootError('EINVAL', `${what}: not a LUKS header`);
    if (!/^[A-Za-z0-9_.+:-]{1,120}$/.test(hdr.uuid))
      throw new JootError('EFORMAT', `${what}: the header's UUID is not usable as a mapper name`);
    const d = this.get(device);
    const name = `/dev/mapper/luks-${hdr.uuid}`;
    if (this.map.has(name)) throw new JootError('EEXIST', `${name}: already exists`);
    const source = await openLuksDetached(header, data, key, name);
    this.sources.push(source);
    d.openedAs = name;
    this.set({ canonical: name, kind: 'luks', source, probe: {}, probed: false });
  }

  /** After a luks-open from the shell: find what the new volume holds. */
  async rescan(): Promise<void> {
    await this.probeNew();
    await this.grow();
  }

  /** Close /dev/mapper/NAME (guestfish luks-close): refused while something was found on it. */
  async luksClose(name: string): Promise<void> {
    const d = this.map.get(name.startsWith('/dev/mapper/') ? name : `/dev/mapper/${name}`);
    if (d?.kind !== 'luks') throw new JootError('ENOENT', `${name}: no such opened LUKS volume`);
    if (d.probe.type === 'LVM2_member' || d.probe.type === 'linux_raid_member')
      throw new JootError('EBUSY', `${d.canonical}: in use (it holds ${d.probe.type})`);
    this.map.delete(d.canonical);
    for (const x of this.map.values()) if (x.openedAs === d.canonical) x.openedAs = undefined;
    await d.source?.close();
  }

  private async scanLvm(): Promise<void> {
    const pvs = this.all().filter((d) => d.source && d.probe.type === 'LVM2_member');
    if (pvs.length === 0) return;
    const known = new Set((this.lvm?.pvs ?? []).map((p) => p.name));
    if (this.lvm && pvs.every((p) => known.has(p.canonical))) return;
    for (const d of this.all().filter((x) => x.kind === 'lv')) this.map.delete(d.canonical);
    const { scanLvm } = await import('./volumes/lvm/index.js');
    this.lvm = await scanLvm(pvs.map((d) => ({ name: d.canonical, source: d.source! })));
    for (const e of this.lvm.problems) this.tell(e);
    for (const lv of this.lvm.lvs) {
      const dev: StackDevice = { canonical: lv.name, kind: 'lv', probe: {}, probed: false, unavailable: lv.unavailable };
      if (!lv.unavailable) {
        try {
          dev.source = this.lvm.open(lv.name);
        } catch (e) {
          dev.unavailable = e instanceof Error ? e.message : String(e);
        }
      }
      this.set(dev);
    }
  }

  /** Probe the devices not probed yet; LVs past MAX_LV_PROBES wait until asked about (guest metadata may name 10,000). */
  private async probeNew(): Promise<void> {
    let lvs = 0;
    for (const d of this.all()) {
      if (d.probed || !d.source) continue;
      if (d.kind === 'lv' && lvs++ >= MAX_LV_PROBES) continue;
      await this.ensureProbed(d);
    }
  }

  /** The other members of the multi-device btrfs on `name` that can be read (none for any other device). */
  async btrfsSiblings(name: string): Promise<StackDevice[]> {
    const d = this.get(name);
    await this.ensureProbed(d);
    return btrfsSiblings(
      d.probe,
      this.all().filter((x) => x.source && x.probed && !x.unavailable),
    );
  }

  async ensureProbed(d: StackDevice): Promise<void> {
    if (d.probed || !d.source) return;
    try {
      d.probe = await probe(d.source);
    } catch (e) {
      // a device that cannot be read where its superblocks would be (an LVM "error" segment, a
      // degraded array's lost chunk) has no signature, as blkid finds none on an I/O error
      if (!(e instanceof JootError && e.code === 'EIO')) throw e;
      d.probe = {};
    }
    d.probed = true;
  }

  // ---------------------------------------------------------------- answers

  private set(d: StackDevice): void {
    this.map.set(d.canonical, d);
  }

  all(): StackDevice[] {
    return [...this.map.values()];
  }

  find(name: string): StackDevice | undefined {
    return this.map.get(name);
  }

  get(name: string): StackDevice {
    const d = this.map.get(name);
    if (!d) throw new JootError('ENOENT', `${name}: no such device`);
    return d;
  }

  get imageFormats(): string[] {
    return this.images.map((i) => i.format);
  }

  disks(): StackDevice[] {
    return this.all().filter((d) => d.kind === 'disk');
  }

  partitions(): PartitionInfo[] {
    return this.all()
      .filter((d) => d.partition)
      .map((d) => d.partition!);
  }

  mdArrays(): MdArray[] {
    return [...this.md];
  }

  /** Opened LUKS volumes, as /dev/mapper/NAME (guestfish list-dm-devices also lists LVs' dm names). */
  luksVolumes(): StackDevice[] {
    return this.all().filter((d) => d.kind === 'luks');
  }

  get pvs(): PvInfo[] {
    return this.lvm?.pvs ?? [];
  }
  get vgs(): VgInfo[] {
    return this.lvm?.vgs ?? [];
  }
  get lvs(): LvInfo[] {
    return this.lvm?.lvs ?? [];
  }

  /**
   * The filesystems, as the kernel engine lists them: disks in order (a whole disk only when it
   * has no partition table), their partitions by number (not extended ones, PVs, RAID members or
   * tables), then md arrays, opened LUKS volumes and LVs; a btrfs over several devices once, on
   * the first of them.
   */
  filesystems(): FilesystemInfo[] {
    const out: FilesystemInfo[] = [];
    // LVM PVs, md members and LUKS volumes hold volumes, not files (libguestfs leaves them out too)
    const container = new Set(['LVM2_member', 'linux_raid_member', 'crypto_LUKS']);
    const skip = (d: StackDevice) => d.partition?.extended || container.has(d.probe.type ?? '') || !!d.probe.ptType || !!d.table;
    const listed: StackDevice[] = [];
    const all = this.all();
    for (const disk of this.disks()) {
      const parts = all.filter((d) => d.partition?.disk === disk.canonical).sort((a, b) => a.partition!.number - b.partition!.number);
      if (parts.length === 0 && !skip(disk)) listed.push(disk);
      for (const p of parts) if (!skip(p)) listed.push(p);
    }
    for (const kind of ['md', 'luks', 'lv'] as const) listed.push(...all.filter((x) => x.kind === kind && !skip(x)));
    // a multi-device btrfs once, under its first member
    const later = laterBtrfsMembers(listed.map((d) => ({ name: d.canonical, probe: d.probe })));
    for (const d of listed) {
      if (later.has(d.canonical)) continue;
      const type = d.unavailable || !d.source ? 'unknown' : (d.probe.type ?? 'unknown');
      out.push({ name: d.canonical, type, label: d.probe.label, uuid: d.probe.uuid });
    }
    return out;
  }

  async close(): Promise<void> {
    const srcs = [...this.sources].reverse();
    this.sources.length = 0;
    for (const s of srcs) await s.close().catch(() => undefined);
    const imgs = [...this.images].reverse();
    this.images = [];
    for (const i of imgs) await i.close().catch(() => undefined);
    this.map.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
