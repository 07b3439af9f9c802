// A Session is what tools and library users drive: add drives, launch (attach, find
// partitions, LVs and filesystems), look and mount, read guest files, close. Everything it
// shows uses canonical guest names; host loop/nbd devices and temp paths stay inside.
import { mkdir, mkdtemp, realpath, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CleanupStack, trackLive, untrackLive } from './cleanup.js';
import { JootError, isJootError } from '../core/errors.js';
import { checkImage, probeImage, type ImageInfo } from './image.js';
import { probeImageWithCache, type CachedProbe } from './probe-cache.js';
import { chooseBackend } from './attach/choose.js';
import type { AttachedDisk } from './attach/backend.js';
import { attachLoop } from './attach/loop.js';
import { discoverPartitions, type HostPartition } from './partitions.js';
import { listBtrfsSubvolumes, mapLimit, probeDevice, probeDevices, type Probe, type ProbeRange } from './filesystems.js';
import { hostHasDeviceMapper, planLv, scanLvm, toPublic, type LvmScan, type LvPlan } from './lvm.js';
import { attachDmTable } from './dm.js';
import { mountFs } from './mount.js';
import { diskName, normalizeDevice, noSuchDevice, parseBtrfsvol, partitionName } from './names.js';
import { requireRoot } from '../core/privilege.js';
import { reapDeadSessions, runDir, SessionRecord, type Resource } from './registry.js';
import { GuestReader } from './guest-reader.js';
import { GuestWriter } from './guest-writer.js';
import { LayoutEditor, type LayoutAccess } from './layout/editor.js';
import { setVerbose, warn } from '../core/run.js';
import type {
  DriveOptions,
  FilesystemInfo,
  GuestStat,
  LvInfo,
  MountInfo,
  MountOptions,
  PartitionInfo,
  PvInfo,
  SessionOptions,
  VgInfo,
} from './types.js';

interface Drive {
  path: string;
  opts: DriveOptions;
  readonly: boolean;
  image?: ImageInfo;
  attached?: AttachedDisk;
}

/** A block device the session knows, by canonical name. */
interface BlockDev {
  canonical: string;
  host: string;
  kind: 'disk' | 'partition' | 'lv';
  readonly: boolean;
  probe: Probe;
  partition?: PartitionInfo;
  /** for an LV that cannot be opened here: why */
  unavailable?: string;
  /** an LV: how to expose it. Its host device exists only while it is used (mounted, changed),
   *  so guest metadata naming thousands of LVs never makes thousands of loop devices. */
  lvPlan?: LvPlan;
  /** false until blkid has looked at it (LVs past MAX_LV_PROBES are probed when first used) */
  probed?: boolean;
  /** an LV the layout editor changed: keeps its host device until the LVs are rescanned */
  pinned?: boolean;
}

/** LVs probed for a filesystem at launch; the others are probed when first used. */
export const MAX_LV_PROBES = 64;

interface Mounted extends MountInfo {
  hostTarget: string;
  /** the LV's host device was attached for this mount: released with it */
  attachedLv?: BlockDev;
}

type State = 'new' | 'launching' | 'launched' | 'closed';

export class Session implements AsyncDisposable {
  private state: State = 'new';
  private readonly drives: Drive[] = [];
  private readonly devices = new Map<string, BlockDev>();
  /** canonical btrfs device → subvolume path → subvolume id (mounts are by id, never by name) */
  private readonly subvolumes = new Map<string, Map<string, number>>();
  private lvm: { pvs: PvInfo[]; vgs: VgInfo[]; lvs: LvInfo[] } = { pvs: [], vgs: [], lvs: [] };
  private readonly mounted: Mounted[] = [];
  private stack = new CleanupStack();
  private record?: SessionRecord;
  private tmp = '';
  private sysroot = '';
  private guest?: GuestReader;
  private guestWriter?: GuestWriter;
  private layoutEditor?: LayoutEditor;
  /** operations in progress (launch, mount, reads): close() lets them finish or fail first */
  private readonly inflight = new Set<Promise<unknown>>();
  private closing?: Promise<void>;

  constructor(private readonly options: SessionOptions = {}) {
    if (options.verbose) setVerbose(true);
  }

  get launched(): boolean {
    return this.state === 'launched';
  }

  /** True when every drive is read-only. */
  get readonly(): boolean {
    return this.drives.length > 0 && this.drives.every((d) => d.readonly);
  }

  addDrive(path: string, opts: DriveOptions = {}): void {
    if (this.state !== 'new') throw new JootError('ESTATE', 'drives must be added before launch');
    if (!path) throw new JootError('EINVAL', 'empty drive path');
    this.drives.push({ path, opts, readonly: opts.readonly ?? false });
  }

  // ---------------------------------------------------------------- launch

  async launch(): Promise<void> {
    if (this.state !== 'new')
      throw new JootError('ESTATE', this.state === 'closed' ? 'the session is closed' : 'the session is already launched');
    if (this.drives.length === 0) throw new JootError('EINVAL', 'no drives added: add at least one disk image before launch');
    requireRoot(); // before anything is attached, created or reaped
    this.state = 'launching';
    try {
      await this.track(this.doLaunch());
      if (this.state !== 'launching') throw closedWhileLaunching();
      this.state = 'launched';
    } catch (e) {
      await this.close().catch(() => undefined);
      throw this.canonicalError(e);
    }
  }

  private async doLaunch(): Promise<void> {
    // Signal handlers first: from the moment a record exists, a SIGINT must release it (with
    // node's default action the process would die and leave the record for a reaper).
    trackLive(this);
    await reapDeadSessions();
    if (this.state !== 'launching') throw closedWhileLaunching(); // closed (e.g. SIGINT) meanwhile
    this.record = new SessionRecord();
    this.stack = new CleanupStack(this.record);
    await mkdir(join(runDir(), 'tmp'), { recursive: true, mode: 0o700 });
    this.tmp = await mkdtemp(join(process.env.JOOT_TMPDIR ?? join(runDir(), 'tmp'), 'session-'));
    this.stack.push({ kind: 'dir', path: this.tmp }, () => rm(this.tmp, { recursive: true, force: true }));
    this.sysroot = join(this.tmp, 'sysroot');
    await mkdir(this.sysroot, { mode: 0o755 });
    this.guest = new GuestReader(this.sysroot);

    await settleAll(this.drives.map((d, i) => this.attachDrive(d, i)));
    await settleAll(this.drives.map((d, i) => this.findPartitions(d, i)));
    await this.probe([...this.devices.values()]);
    await this.openLvm();
    await this.findSubvolumes();
  }

  private async attachDrive(d: Drive, index: number): Promise<void> {
    const probeOpts = {
      format: d.opts.format,
      readonly: d.readonly,
      allowUnsafeBacking: d.opts.allowUnsafeBacking,
      backingDirs: [...(this.options.backingDirs ?? []), ...(d.opts.backingDirs ?? [])],
      backingImages: [...(this.options.backingImages ?? []), ...(d.opts.backingImages ?? [])],
      check: false,
    };
    const cacheFile = d.opts.probeCache;
    let cached: CachedProbe | undefined;
    try {
      if (cacheFile) cached = await probeImageWithCache(d.path, probeOpts, cacheFile);
      d.image = cached ? cached.info : await probeImage(d.path, probeOpts);
    } catch (e) {
      // qemu's lock refused it: if another joot session is the holder, say so (with its pid)
      if (isJootError(e, 'EBUSY')) await this.record!.claimImage({ path: await realpath(d.path), readonly: d.readonly }, d.path);
      throw e;
    }
    // claim every layer: the top as asked, backing files read-only
    for (const [i, layer] of d.image.chain.entries()) {
      await this.record!.claimImage({ path: layer.path, readonly: d.readonly || i > 0 }, i === 0 ? d.path : layer.path);
    }
    const backend = chooseBackend(d.image, this.options.backend);
    // qemu-img check reads only metadata: on a read-only drive it runs (sharing locks) while the
    // backend attaches, and its message is the one that explains a corrupt image. A read-write
    // attach holds qemu's write lock, which a concurrent check would trip over: check first.
    // A cache hit was checked when it was cached, and nothing it depends on changed since.
    const check = !cached?.hit;
    if (!d.readonly && check) await checkImage(d.image, false);
    const [attached, checked] = await Promise.allSettled([
      backend.attach(d.image, { stack: this.stack, tmpdir: this.tmp, readonly: d.readonly, index }),
      d.readonly && check ? checkImage(d.image, true) : Promise.resolve(),
    ]);
    if (checked.status === 'rejected') throw checked.reason;
    if (attached.status === 'rejected') throw attached.reason;
    d.attached = attached.value;
    const name = diskName(index);
    this.devices.set(name, { canonical: name, host: d.attached.device, kind: 'disk', readonly: d.readonly, probe: {} });
    await cached?.save(); // a miss, checked now: cache it (never throws)
  }

  private async findPartitions(d: Drive, index: number): Promise<void> {
    const parts = await discoverPartitions(d.attached!.device, d.image!.virtualSize, d.path);
    for (const p of parts) this.addPartition(p, index, d.readonly);
  }

  private addPartition(p: HostPartition, diskIndex: number, readonly: boolean): void {
    const name = partitionName(diskIndex, p.number);
    const info: PartitionInfo = {
      name,
      disk: diskName(diskIndex),
      number: p.number,
      start: p.start,
      size: p.size,
      scheme: p.scheme,
      type: p.type,
      uuid: p.uuid,
      label: p.label,
      extended: p.extended || undefined,
    };
    this.devices.set(name, { canonical: name, host: p.device, kind: 'partition', readonly, probe: {}, partition: info });
  }

  /** Probe the devices: one blkid for all attached ones when it answers each (probeDevices), LV ranges on their own. */
  private async probe(devs: BlockDev[]): Promise<void> {
    const usable = devs.filter((d) => !d.partition?.extended && !d.unavailable);
    // devices attached as themselves: one blkid for all of them where it can (probeDevices)
    const direct = usable.filter((d) => d.kind !== 'lv' || d.host !== '');
    const found = await probeDevices(direct.map((d) => d.host));
    for (const d of direct) {
      d.probe = found.get(d.host) ?? {};
      d.probed = true;
    }
    await mapLimit(
      usable.filter((d) => !direct.includes(d)),
      4,
      (d) => this.probeOne(d),
    );
  }

  private async probeOne(d: BlockDev): Promise<void> {
    if (d.kind === 'lv' && !d.host) {
      // a linear LV is a byte range of its PV: blkid looks there, no device needed
      if (d.lvPlan?.kind === 'loop') {
        const range: ProbeRange = { offset: d.lvPlan.offset, size: d.lvPlan.size };
        d.probe = await probeDevice(d.lvPlan.device, range);
      } else {
        // device-mapper: attach just for the probe
        await this.attachLv(d);
        try {
          d.probe = await probeDevice(d.host);
        } finally {
          await this.releaseLv(d);
        }
      }
    } else {
      d.probe = await probeDevice(d.host);
    }
    d.probed = true;
  }

  /** An LV past the launch-time probe cap: probe it now. */
  private async ensureProbed(d: BlockDev): Promise<void> {
    if (d.kind === 'lv' && !d.probed && !d.unavailable) await this.probeOne(d);
  }

  /** Give an LV its host device (a loop over its PV range, or a device-mapper table). */
  private async attachLv(d: BlockDev): Promise<void> {
    if (d.host || d.kind !== 'lv') return;
    const plan = d.lvPlan;
    if (!plan || plan.kind === 'unavailable') throw new JootError('EUNSUPPORTED', d.unavailable ?? `${d.canonical}: cannot be opened`);
    if (plan.kind === 'loop') {
      d.host = await attachLoop(plan.device, { readonly: d.readonly, offset: plan.offset, sizelimit: plan.size }, this.stack);
    } else {
      const [vg, lv] = d.canonical.slice('/dev/'.length).split('/');
      d.host = await attachDmTable(`joot-${this.record!.id}-${vg}-${lv}`, plan.table, d.readonly, this.stack);
    }
  }

  /** Release an LV's host device unless a mount or the layout editor still uses it. */
  private async releaseLvIfUnused(d: BlockDev): Promise<void> {
    if (!d.pinned && !this.mounted.some((m) => m.attachedLv === d)) await this.releaseLv(d);
  }

  private async releaseLv(d: BlockDev): Promise<void> {
    if (d.kind !== 'lv' || !d.host) return;
    const host = d.host;
    d.host = '';
    if (host.startsWith('/dev/mapper/')) {
      const name = host.slice('/dev/mapper/'.length);
      await this.stack.releaseOne((r) => r.kind === 'dm' && r.name === name);
    } else {
      await this.stack.releaseOne((r) => r.kind === 'loop' && r.device === host);
    }
  }

  private async openLvm(): Promise<void> {
    const pvDevs = [...this.devices.values()].filter((d) => d.probe.type === 'LVM2_member');
    if (pvDevs.length === 0) return;
    const scan: LvmScan = await scanLvm(pvDevs.map((d) => d.host));
    const hasDm = hostHasDeviceMapper();
    this.lvm = toPublic(scan, (host) => this.canonicalOf(host), { hasDeviceMapper: hasDm });
    const lvDevs: BlockDev[] = [];
    const roPvs = new Set(pvDevs.filter((p) => p.readonly).map((p) => p.host));
    const roVgs = new Set(scan.pvs.filter((s) => s.device !== null && roPvs.has(s.device)).map((s) => s.vgName));
    for (const lv of this.lvm.lvs) {
      const readonly = roVgs.has(lv.vg);
      const dev: BlockDev = { canonical: lv.name, host: '', kind: 'lv', readonly, probe: {}, unavailable: lv.unavailable };
      this.devices.set(lv.name, dev);
      if (lv.unavailable) continue;
      const plan = planLv(scan, lv.vg, lv.lv, { hasDeviceMapper: hasDm });
      if (plan.kind === 'unavailable') {
        dev.unavailable = plan.reason;
        continue;
      }
      dev.lvPlan = plan;
      lvDevs.push(dev);
    }
    if (lvDevs.length > MAX_LV_PROBES) {
      warn(`${lvDevs.length} logical volumes: only the first ${MAX_LV_PROBES} are probed for a filesystem now, the others when used`);
    }
    await this.probe(lvDevs.slice(0, MAX_LV_PROBES));
  }

  private async findSubvolumes(): Promise<void> {
    const btrfs = [...this.devices.values()].filter((d) => d.probe.type === 'btrfs');
    await settleAll(
      btrfs.map(async (d, i) => {
        await this.attachLv(d);
        try {
          this.subvolumes.set(d.canonical, await listBtrfsSubvolumes(d.host, join(this.tmp, `btrfs${i}`), d.canonical));
        } finally {
          await this.releaseLvIfUnused(d);
        }
      }),
    );
  }

  // ---------------------------------------------------------------- names

  private canonicalOf(host: string): string {
    for (const d of this.devices.values()) if (d.host === host) return d.canonical;
    return host;
  }

  /** Rewrite host device names and temp paths in a message into guest terms. */
  private canonicalText(text: string): string {
    let out = text;
    const pairs = [...this.devices.values()].filter((d) => d.host).sort((a, b) => b.host.length - a.host.length);
    for (const d of pairs) out = out.split(d.host).join(d.canonical);
    if (this.sysroot) out = out.split(`${this.sysroot}/`).join('/').split(this.sysroot).join('/');
    if (this.tmp) out = out.split(this.tmp).join('<session>');
    return out;
  }

  private canonicalError(e: unknown): unknown {
    if (e instanceof JootError) {
      const msg = this.canonicalText(e.message);
      return msg === e.message ? e : e.withMessage(msg);
    }
    if (e instanceof Error) return new JootError('EIO', this.canonicalText(e.message), { cause: e });
    return e;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.track(fn());
    } catch (e) {
      throw this.canonicalError(e);
    }
  }

  /** Count `p` as in flight until it settles (close() waits for it before unwinding). */
  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  private requireLaunched(): void {
    if (this.state !== 'launched') {
      throw new JootError(
        'ESTATE',
        this.state === 'closed' ? 'the session is closed' : 'call launch (jfish: run) before using this command',
      );
    }
  }

  private device(name: string): BlockDev {
    this.requireLaunched();
    const d = this.devices.get(normalizeDevice(name));
    if (!d) throw noSuchDevice(name);
    return d;
  }

  /** A mountable: a device with a filesystem, or btrfsvol:DEVICE/SUBVOL. */
  private mountable(name: string): { dev: BlockDev; subvol?: string; subvolid?: number } {
    this.requireLaunched();
    const bv = parseBtrfsvol(name, this.devices.keys());
    if (bv) {
      const dev = this.device(bv.device);
      const id = this.subvolumes.get(dev.canonical)?.get(bv.subvol);
      if (id === undefined) throw new JootError('ENOENT', `${name}: no such btrfs subvolume`);
      return { dev, subvol: bv.subvol, subvolid: id };
    }
    const dev = this.device(name);
    if (dev.unavailable) throw new JootError('EUNSUPPORTED', dev.unavailable);
    return { dev };
  }

  // ---------------------------------------------------------------- listing

  listDevices(): string[] {
    this.requireLaunched();
    return this.drives.map((_, i) => diskName(i));
  }

  /** In drive order, then by partition number (drives are attached in parallel, so the
   *  order in which their partitions were found is not the order to show). */
  partitions(): PartitionInfo[] {
    this.requireLaunched();
    const disks = this.listDevices();
    return [...this.devices.values()]
      .filter((d) => d.partition)
      .map((d) => d.partition!)
      .sort((a, b) => disks.indexOf(a.disk) - disks.indexOf(b.disk) || a.number - b.number);
  }

  listPartitions(): string[] {
    return this.partitions().map((p) => p.name);
  }

  filesystems(): FilesystemInfo[] {
    this.requireLaunched();
    const out: FilesystemInfo[] = [];
    const add = (d: BlockDev) => {
      const type = d.unavailable ? 'unknown' : (d.probe.type ?? 'unknown');
      out.push({ name: d.canonical, type, label: d.probe.label, uuid: d.probe.uuid });
      for (const sv of this.subvolumes.get(d.canonical)?.keys() ?? []) {
        out.push({ name: `btrfsvol:${d.canonical}/${sv}`, type: 'btrfs', label: d.probe.label, uuid: d.probe.uuid });
      }
    };
    const all = [...this.devices.values()];
    for (const disk of this.listDevices().map((n) => this.devices.get(n)!)) {
      const parts = all.filter((d) => d.partition?.disk === disk.canonical).sort((a, b) => a.partition!.number - b.partition!.number);
      // a whole disk is a filesystem only when it has no partition table
      if (parts.length === 0 && !disk.probe.ptType && disk.probe.type !== 'LVM2_member') add(disk);
      for (const p of parts) {
        if (p.partition!.extended || p.probe.type === 'LVM2_member' || p.probe.ptType) continue;
        add(p);
      }
    }
    for (const lv of all.filter((d) => d.kind === 'lv')) add(lv);
    return out;
  }

  listFilesystems(): Map<string, string> {
    return new Map(this.filesystems().map((f) => [f.name, f.type]));
  }

  async vfsType(dev: string): Promise<string> {
    const m = this.mountable(dev);
    if (m.subvol !== undefined) return 'btrfs';
    return (await this.probed(m.dev)).type ?? '';
  }

  async vfsLabel(dev: string): Promise<string> {
    return (await this.probed(this.mountable(dev).dev)).label ?? '';
  }

  async vfsUuid(dev: string): Promise<string> {
    return (await this.probed(this.mountable(dev).dev)).uuid ?? '';
  }

  private async probed(d: BlockDev): Promise<Probe> {
    await this.guard(() => this.ensureProbed(d));
    return d.probe;
  }

  pvsFull(): PvInfo[] {
    this.requireLaunched();
    return this.lvm.pvs;
  }
  vgsFull(): VgInfo[] {
    this.requireLaunched();
    return this.lvm.vgs;
  }
  lvsFull(): LvInfo[] {
    this.requireLaunched();
    return this.lvm.lvs;
  }
  pvs(): string[] {
    return this.pvsFull().map((p) => p.name);
  }
  vgs(): string[] {
    return [...new Set(this.vgsFull().map((v) => v.name))];
  }
  lvs(): string[] {
    // two VGs of one name (on different disks) give the same LV names: list each name once
    // (lvsFull has both, each with the reason it cannot be opened)
    return [...new Set(this.lvsFull().map((l) => l.name))];
  }

  // ---------------------------------------------------------------- mounting

  async mount(device: string, mountpoint: string, opts: MountOptions = {}): Promise<void> {
    return this.guard(async () => {
      const { dev, subvol, subvolid } = this.mountable(device);
      const name = subvol !== undefined ? `btrfsvol:${dev.canonical}/${subvol}` : dev.canonical;
      if (!mountpoint.startsWith('/')) throw new JootError('EINVAL', `${mountpoint}: mountpoint must be an absolute guest path`);
      let target: string;
      if (mountpoint === '/' || /^\/+$/.test(mountpoint)) {
        target = this.sysroot;
        mountpoint = '/';
      } else {
        if (!this.mounted.some((m) => m.mountpoint === '/')) throw new JootError('ESTATE', `${mountpoint}: mount a filesystem on / first`);
        target = await this.guest!.resolve(mountpoint);
        if (!(await this.guest!.isDir(mountpoint))) throw new JootError('EINVAL', `${mountpoint}: not a directory`);
      }
      if (this.mounted.some((m) => m.hostTarget === target))
        throw new JootError('EBUSY', `${mountpoint}: something is already mounted there`);
      if (this.mounted.some((m) => m.device === name)) throw new JootError('EBUSY', `${name}: already mounted`);
      await this.ensureProbed(dev);
      const vfstype = opts.vfstype ?? dev.probe.type;
      if (!vfstype) throw new JootError('EINVAL', `${name}: no filesystem found`);
      if (vfstype === 'swap' || vfstype === 'LVM2_member')
        throw new JootError('EINVAL', `${name}: is ${vfstype}, not a mountable filesystem`);
      const readonly = (opts.readonly ?? false) || dev.readonly;
      // an LV gets its loop device for as long as it is mounted
      const attachedLv = dev.kind === 'lv' ? dev : undefined;
      await this.attachLv(dev);
      try {
        await mountFs(
          dev.host,
          target,
          { vfstype, readonly, deviceReadonly: dev.readonly, options: opts.options, exec: opts.exec, subvolid },
          this.stack,
        );
      } catch (e) {
        // name the LV in the message before its host device goes
        const err = this.canonicalError(e);
        await this.releaseLvIfUnused(dev);
        throw err;
      }
      this.mounted.push({ device: name, mountpoint, vfstype, readonly, hostTarget: target, attachedLv });
    });
  }

  async umount(mountpointOrDevice: string): Promise<void> {
    return this.guard(async () => {
      this.requireLaunched();
      const key = normalizeDevice(mountpointOrDevice);
      const m = this.mounted.find((x) => x.mountpoint === mountpointOrDevice || x.device === key);
      if (!m) throw new JootError('EINVAL', `${mountpointOrDevice}: not mounted`);
      const below = this.mounted.filter((x) => x !== m && (m.mountpoint === '/' || x.mountpoint.startsWith(`${m.mountpoint}/`)));
      if (below.length) throw new JootError('EBUSY', `${m.mountpoint}: ${below[0]!.mountpoint} is mounted below it`);
      await this.stack.releaseOne((r) => r.kind === 'mount' && r.path === m.hostTarget);
      this.mounted.splice(this.mounted.indexOf(m), 1);
      // the LV's loop goes with its last mount (a subvolume of it may still be mounted)
      if (m.attachedLv) await this.releaseLvIfUnused(m.attachedLv);
    });
  }

  async umountAll(): Promise<void> {
    this.requireLaunched();
    // deepest first
    const order = [...this.mounted].sort((a, b) => b.mountpoint.length - a.mountpoint.length);
    for (const m of order) await this.umount(m.mountpoint);
  }

  mountpoints(): MountInfo[] {
    this.requireLaunched();
    return this.mounted
      .map(({ device, mountpoint, vfstype, readonly }) => ({ device, mountpoint, vfstype, readonly }))
      .sort((a, b) => (a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0));
  }

  mounts(): string[] {
    this.requireLaunched();
    return this.mounted.map((m) => m.device);
  }

  /**
   * Look inside a btrfs's subvolumes through ONE read-only mount of its top level (subvolid=5),
   * rather than one mount each: `fn` gets a guest-rooted reader for a subvolume path (one that
   * `filesystems()` lists). The mount is gone when `fn` settles.
   */
  async withSubvolumes<T>(device: string, fn: (readerOf: (subvol: string) => GuestReader) => Promise<T>): Promise<T> {
    return this.guard(async () => {
      const dev = this.device(device);
      const subvols = this.subvolumes.get(dev.canonical);
      if (!subvols) throw new JootError('EINVAL', `${dev.canonical}: not a btrfs filesystem`);
      const target = await mkdtemp(join(this.tmp, 'top-'));
      try {
        await this.attachLv(dev);
        try {
          await mountFs(dev.host, target, { vfstype: 'btrfs', readonly: true, deviceReadonly: true, subvolid: 5 }, this.stack);
          try {
            return await fn((sv) => {
              if (!subvols.has(sv)) throw new JootError('ENOENT', `btrfsvol:${dev.canonical}/${sv}: no such btrfs subvolume`);
              return new GuestReader(join(target, sv));
            });
          } finally {
            await this.stack.releaseOne((r) => r.kind === 'mount' && r.path === target);
          }
        } finally {
          await this.releaseLvIfUnused(dev);
        }
      } finally {
        await rmdir(target).catch(() => undefined);
      }
    });
  }

  // ---------------------------------------------------------------- changing the layout

  /**
   * What the layout editor (layout/editor.ts) needs from the session: host devices for guest
   * names, the mount check, and a rescan after partitions, PVs or filesystems changed.
   */
  private layoutAccess(): LayoutAccess {
    return {
      target: async (name, opts) => {
        const d = this.device(name);
        if (d.unavailable) throw new JootError('EUNSUPPORTED', d.unavailable);
        if (d.kind === 'lv') {
          // the editor works on it: it keeps its host device until the LVs are rescanned
          await this.attachLv(d);
          d.pinned = true;
          await this.ensureProbed(d);
        }
        if (opts?.wholeDisk && d.kind !== 'disk') throw new JootError('EINVAL', `${d.canonical}: not a whole disk (give /dev/sdX)`);
        const diskIndex = d.kind === 'lv' ? -1 : this.drives.findIndex((_, i) => diskName(i) === (d.partition?.disk ?? d.canonical));
        const size =
          d.kind === 'disk'
            ? this.drives[diskIndex]!.image!.virtualSize
            : d.kind === 'lv'
              ? this.lvm.lvs.find((l) => l.name === d.canonical)?.size
              : d.partition?.size;
        return { canonical: d.canonical, host: d.host, kind: d.kind, readonly: d.readonly, diskIndex, size, fstype: d.probe.type };
      },
      lvmScope: () => [...this.devices.values()].filter((d) => d.kind !== 'lv' && !d.partition?.extended && d.host).map((d) => d.host),
      canonicalOf: (host) => this.canonicalOf(host),
      refuseIfInUse: (canonical) => this.refuseIfInUse(canonical),
      rescan: (what) => this.rescan(what),
      guard: (fn) => this.guard(fn),
      vgs: () => this.lvm.vgs,
      lvs: () => this.lvm.lvs,
      mountedHostDir: (canonical) => this.mounted.find((m) => m.device === canonical)?.hostTarget,
      hostPathOf: (guestPath) => this.reader.resolve(guestPath),
      hostPathForCreate: (guestPath) => this.writer.hostPathForCreate(guestPath),
      verifiedSubvolumes: () => new Set([...this.subvolumes.values()].flatMap((m) => [...m].map(([path, id]) => `${id}:${path}`))),
      refreshSubvolumes: async () => {
        this.subvolumes.clear();
        await this.findSubvolumes();
      },
    };
  }

  /** The layout editor: partition tables, filesystems, LVM, on read-write drives. */
  get layout(): LayoutEditor {
    this.requireLaunched();
    this.layoutEditor ??= new LayoutEditor(this.layoutAccess());
    return this.layoutEditor;
  }

  /**
   * Refuse to change `canonical` while anything on it is mounted: the device itself, a
   * partition of a disk, an LV on a PV on it (or, for an LV, the LV).
   */
  private refuseIfInUse(canonical: string): void {
    const d = this.device(canonical);
    if (d.readonly) throw new JootError('EPERM', `${d.canonical}: the drive is read-only (--ro)`);
    const diskOf = (x: BlockDev | undefined): string | undefined => (x?.kind === 'disk' ? x.canonical : x?.partition?.disk);
    // VGs with a PV on the device (or on a partition of the disk): their LVs live on it too
    const vgsOnIt = new Set(
      this.lvm.pvs
        .filter((p) => p.name === d.canonical || (d.kind === 'disk' && diskOf(this.devices.get(p.name)) === d.canonical))
        .map((p) => p.vg),
    );
    for (const m of this.mounted) {
      const dev = this.devices.get(
        m.device.startsWith('btrfsvol:') ? (parseBtrfsvol(m.device, this.devices.keys())?.device ?? '') : m.device,
      );
      if (!dev) continue;
      const hit =
        dev.canonical === d.canonical ||
        (d.kind === 'disk' && diskOf(dev) === d.canonical) ||
        (dev.kind === 'lv' && vgsOnIt.has(this.lvm.lvs.find((l) => l.name === dev.canonical)?.vg ?? ''));
      if (hit) throw new JootError('EBUSY', `${d.canonical}: in use: ${m.device} is mounted on ${m.mountpoint} (umount it first)`);
    }
  }

  /**
   * Find partitions (of the given disks), filesystems and LVs again after a change. LV
   * mappings are dropped first: they hold the partitions open and may be stale.
   */
  private async rescan(what: { disks?: number[]; device?: string }): Promise<void> {
    // one device's content changed: probe it again; LVM only if it is or was a PV
    const one = what.device !== undefined ? this.devices.get(what.device) : undefined;
    if (one && !what.disks?.length) {
      const was = one.probe.type;
      await this.probe([one]);
      if (one.kind === 'lv' || (was !== 'LVM2_member' && one.probe.type !== 'LVM2_member')) {
        if (was === 'btrfs' || one.probe.type === 'btrfs' || this.subvolumes.has(one.canonical)) {
          this.subvolumes.delete(one.canonical);
          await this.findSubvolumes();
        }
        return;
      }
    }
    await this.dropLvm();
    for (const i of what.disks ?? []) {
      const disk = diskName(i);
      for (const [k, d] of this.devices) if (d.kind === 'partition' && d.partition?.disk === disk) this.devices.delete(k);
      const drive = this.drives[i]!;
      const parts = await discoverPartitions(drive.attached!.device, drive.image!.virtualSize, drive.path);
      for (const p of parts) this.addPartition(p, i, drive.readonly);
    }
    await this.probe([...this.devices.values()]);
    await this.openLvm();
    this.subvolumes.clear();
    await this.findSubvolumes();
  }

  private async dropLvm(): Promise<void> {
    for (const [k, d] of this.devices) {
      if (d.kind !== 'lv') continue;
      await this.releaseLv(d);
      this.devices.delete(k);
    }
    this.lvm = { pvs: [], vgs: [], lvs: [] };
  }

  // ---------------------------------------------------------------- guest files

  /** The guest-rooted reader over whatever is mounted (symlinks never leave the guest). */
  get reader(): GuestReader {
    this.requireLaunched();
    if (!this.mounted.some((m) => m.mountpoint === '/')) throw new JootError('ESTATE', 'no filesystem is mounted on /');
    return this.guest!;
  }

  /**
   * The guest-rooted writer over whatever is mounted (never follows a link out of the guest).
   * In a read-only session (every drive read-only) it refuses every operation with EPERM
   * ("PATH: the session is read-only"); a filesystem mounted read-only in a read-write session
   * refuses in the kernel, reported as "PATH: Read-only file system".
   */
  get writer(): GuestWriter {
    const reader = this.reader;
    this.guestWriter ??= new GuestWriter(reader, this.sysroot, { readonly: this.readonly });
    return this.guestWriter;
  }

  readFile(path: string, opts?: { maxBytes?: number }): Promise<Buffer> {
    return this.guard(() => this.reader.readFile(path, opts));
  }
  readdir(path: string): Promise<string[]> {
    return this.guard(() => this.reader.readdir(path));
  }
  stat(path: string): Promise<GuestStat> {
    return this.guard(() => this.reader.stat(path));
  }
  lstat(path: string): Promise<GuestStat> {
    return this.guard(() => this.reader.lstat(path));
  }
  readlink(path: string): Promise<string> {
    return this.guard(() => this.reader.readlink(path));
  }
  exists(path: string): Promise<boolean> {
    return this.guard(() => this.reader.exists(path));
  }
  isFile(path: string): Promise<boolean> {
    return this.guard(() => this.reader.isFile(path));
  }
  isDir(path: string): Promise<boolean> {
    return this.guard(() => this.reader.isDir(path));
  }

  /**
   * What running guest programs needs (appliance/guest-exec.ts): the host path of the guest
   * root and the session's mounts (host targets, shallowest first). Requires a launched
   * session with a filesystem on /; refused on a read-only session, since guest programs
   * may write whatever they like.
   */
  /**
   * Register something the caller built on the session's mounts (e.g. a container's tree of
   * binds): released before them when the session closes, like everything the session holds.
   */
  hold(resource: Resource, release: () => Promise<void>): void {
    this.requireLaunched();
    this.stack.push(resource, release);
  }

  execRoot(): { root: string; mounts: { mountpoint: string; hostTarget: string; readonly: boolean }[] } {
    this.requireLaunched();
    if (this.readonly) throw new JootError('EPERM', 'refused on a read-only session: guest programs may write to the disk');
    if (!this.mounted.some((m) => m.mountpoint === '/'))
      throw new JootError('ESTATE', 'no filesystem is mounted on / (mount the guest root first, or use -i)');
    const mounts = this.mounted
      .map(({ mountpoint, hostTarget, readonly }) => ({ mountpoint, hostTarget, readonly }))
      .sort((a, b) => a.mountpoint.split('/').length - b.mountpoint.split('/').length || a.mountpoint.length - b.mountpoint.length);
    return { root: this.sysroot, mounts };
  }

  // ---------------------------------------------------------------- closing

  /**
   * Release everything the session holds, in reverse order. Safe to call at any time and more
   * than once (every call waits for the same release) — also while launch or another operation
   * is still running (e.g. from a SIGINT handler): later operations fail, acquisitions in flight
   * are registered and stopped, and the unwind starts once they have settled (at most 10 s).
   */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    this.state = 'closed';
    this.stack.abort(new JootError('ESTATE', 'the session was closed'));
    if (this.inflight.size) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((r) => (timer = setTimeout(r, 10_000)));
      await Promise.race([Promise.allSettled([...this.inflight]), limit]);
      clearTimeout(timer);
    }
    this.mounted.length = 0;
    try {
      await this.stack[Symbol.asyncDispose]();
    } catch (e) {
      throw this.canonicalError(e);
    } finally {
      untrackLive(this);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function closedWhileLaunching(): JootError {
  return new JootError('ESTATE', 'the session was closed while launching');
}

/** Like Promise.all, but waits for every branch before throwing (so cleanup sees all). */
async function settleAll(ps: Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    // prefer a specific error over a generic one when several drives failed
    const specific = rs.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && isJootError(r.reason) && r.reason.code !== 'ECMD',
    );
    throw (specific ?? bad).reason;
  }
}
