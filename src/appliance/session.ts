// A Session is what tools and library users drive: add drives, launch (attach, find
// partitions, LVs and filesystems), look and mount, read guest files, close. Everything it
// shows uses canonical guest names; host loop/nbd devices and temp paths stay inside.
//
// The Session is the façade over the stages that own the state (stages/): the drives (images
// attached as host block devices), the devices (disks, partitions, LVs by guest name), the
// volumes (LVM), the filesystems (probes, btrfs subvolumes) and the mounts, each a small class;
// it composes them, keeps the session's life cycle (launch, in-flight operations, close) and
// turns host names in messages into guest ones.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CleanupStack, trackLive, untrackLive } from './cleanup.js';
import { JootError } from '../core/errors.js';
import { leaveSandbox } from '../core/sandbox.js';
import { startupMark } from '../core/startup-trace.js';
import type { Probe } from './filesystems.js';
import { parseBtrfsvol } from './names.js';
import { requireRoot } from '../core/privilege.js';
import { reapDeadSessions, runDir, SessionRecord, type Resource } from './registry.js';
import { SESSION_DIR_PREFIX } from './inherited-mounts.js';
import { type GuestFileReader, type GuestFileWriter, type GuestFiles, mountedGuestFiles } from './guest-files.js';
import { LayoutEditor, type LayoutAccess } from './layout/editor.js';
import { setVerbose, trace, warn } from '../core/run.js';
import { exposeSource } from './attach/userspace-export.js';
import { mountFs } from './mount.js';
import type { HandoverRoot } from './kernel-handover.js';
import { hostDirFs } from './host-dir-fs.js';
import type { FileSystemReader } from '../disk/fs/types.js';
import type { StackOptions } from '../disk/stack.js';
import { probe } from '../disk/probe/index.js';
import { guestFileSource } from './guest-file-source.js';
import { checkMountable } from './stages/mount-checks.js';
import { Workspace } from './stages/workspace.js';
import { Drives } from './stages/drives.js';
import { type BlockDev, decodedRefusal, Devices, writeRefusal } from './stages/devices.js';
import { Volumes } from './stages/volumes.js';
import { Filesystems, type Mountable, settleAll } from './stages/filesystems.js';
import { Mounts } from './stages/mounts.js';
import { TreeMounts } from './stages/tree-mounts.js';
import { treeGuestFiles } from './tree-reader.js';
import { adoptUserspaceVolumes, needsUserspaceVolumes } from './stages/userspace-volumes.js';
import { chooseEngine, type EngineName, needsKernelEngine, UserspaceEngine } from './userspace-engine.js';
import { FileSource, type ByteSource } from '../disk/source.js';
import { LvActivation } from './lv-activation.js';
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

export { MAX_LV_PROBES } from './stages/volumes.js';

type State = 'new' | 'launching' | 'launched' | 'closed';

export class Session implements AsyncDisposable {
  private state: State = 'new';
  private readonly ws = new Workspace();
  private readonly drives: Drives;
  private readonly devices: Devices;
  private readonly volumes: Volumes;
  private readonly fs: Filesystems;
  private readonly mnt: Mounts;
  /** guest file access over the sysroot (made at launch) */
  private guestFiles?: GuestFiles;
  private layoutEditor?: LayoutEditor;
  /** operations in progress (launch, mount, reads): close() lets them finish or fail first */
  private readonly inflight = new Set<Promise<unknown>>();
  /** VGs deactivated by vg-activate */
  private readonly activation = new LvActivation();
  private closing?: Promise<void>;
  /** which engine reads the disks (chosen when the session is made) */
  readonly engine: EngineName;
  /** the userspace engine's disks, once launched with it */
  private us?: UserspaceEngine;
  /**
   * On the kernel engine: the userspace engine's reading of the same images, for the md arrays,
   * LUKS volumes and LVs this host cannot map (stages/userspace-volumes.ts); absent when none.
   */
  private kus?: UserspaceEngine;
  /** the userspace engine's mounts: readers in a mount table inside the process */
  private tm?: TreeMounts;
  /** filesystems the userspace engine handed to the kernel so far */
  private fallbacks = 0;
  /** userspace engine: each device handed to the kernel, exposed once (every mount of it shares it) */
  private readonly fallbackDevices = new Map<string, Promise<string>>();

  constructor(private readonly options: SessionOptions = {}) {
    if (options.verbose) setVerbose(true);
    this.engine = chooseEngine(options.engine);
    this.drives = new Drives(this.ws, options);
    this.devices = new Devices(this.ws, (d) => this.mnt.holds(d));
    this.volumes = new Volumes(this.devices);
    this.fs = new Filesystems(this.ws, this.devices);
    this.mnt = new Mounts(this.ws, this.devices, this.fs, (e) => this.canonicalError(e));
  }

  get launched(): boolean {
    return this.state === 'launched';
  }

  /** True when every drive is read-only. */
  get readonly(): boolean {
    return this.drives.readonly;
  }

  addDrive(path: string, opts: DriveOptions = {}): void {
    if (this.state !== 'new') throw new JootError('ESTATE', 'drives must be added before launch');
    this.drives.add(path, opts);
  }

  // ---------------------------------------------------------------- launch

  async launch(): Promise<void> {
    if (this.state !== 'new')
      throw new JootError('ESTATE', this.state === 'closed' ? 'the session is closed' : 'the session is already launched');
    if (this.drives.length === 0) throw new JootError('EINVAL', 'no drives added: add at least one disk image before launch');
    if (this.engine === 'kernel') requireRoot(); // before anything is attached, created or reaped
    this.state = 'launching';
    try {
      await this.track(this.engine === 'userspace' ? this.launchUserspace() : this.doLaunch());
      if (this.state !== 'launching') throw closedWhileLaunching();
      this.state = 'launched';
    } catch (e) {
      await this.close().catch(() => undefined);
      throw this.canonicalError(e);
    }
  }

  /** The userspace engine: images opened in-process; nothing attached, no record to reap. */
  private async launchUserspace(): Promise<void> {
    const us = await UserspaceEngine.open(this.driveSpecs(), this.stackOptions());
    this.us = us;
    await us.findSubvolumes();
    this.tm = new TreeMounts(us, (device, vfstype, why, root) => this.kernelFallback(device, vfstype, why, root));
    this.guestFiles = treeGuestFiles(this.tm.tree, { readonly: () => this.readonly });
    startupMark('userspace engine opened');
  }

  /** How the userspace engine opens the volumes: the keys, and an md member or array it leaves
   *  out is said in one line (md itself would not assemble it; the guest's data is not there). */
  private stackOptions(): StackOptions {
    return {
      keys: this.options.keys,
      askKey: this.options.askKey,
      onProblem: (e) => warn(/left out$/.test(e.message) ? e.message : `${e.message}: left out`),
    };
  }

  /** The specs the userspace engine opens the drives with. */
  private driveSpecs() {
    return this.drives.list.map((d) => ({
      path: d.path,
      format: d.opts.format,
      allowUnsafeBacking: d.opts.allowUnsafeBacking,
      backingDirs: [...(this.options.backingDirs ?? []), ...(d.opts.backingDirs ?? [])],
      backingImages: [...(this.options.backingImages ?? []), ...(d.opts.backingImages ?? [])],
    }));
  }

  /** Kernel engine: read in userspace what this host cannot map (md, LUKS, LVs needing device-mapper). */
  private async adoptUserspaceVolumes(): Promise<void> {
    // a detached LUKS header's data device has no signature: only its --key says it is one
    const detached = (this.options.keys ?? []).some((k) => k.header !== undefined);
    if (!detached && !needsUserspaceVolumes(this.devices, this.volumes)) return;
    this.kus ??= await UserspaceEngine.open(this.driveSpecs(), this.stackOptions());
    const added = adoptUserspaceVolumes(this.kus.stack, this.devices, this.volumes);
    await this.fs.probe(added.filter((d) => !d.probed));
  }

  /** The session's record, cleanup stack and temp directory: what holding host resources needs. */
  private async openWorkspace(): Promise<void> {
    const ws = this.ws;
    if (ws.record) return;
    // Signal handlers first: from the moment a record exists, a SIGINT must release it (with
    // node's default action the process would die and leave the record for a reaper).
    trackLive(this);
    await reapDeadSessions();
    if (this.state !== 'launching' && this.state !== 'launched') throw closedWhileLaunching(); // closed (e.g. SIGINT) meanwhile
    ws.record = new SessionRecord();
    ws.stack = new CleanupStack(ws.record);
    await mkdir(join(runDir(), 'tmp'), { recursive: true, mode: 0o700 });
    ws.tmp = await mkdtemp(join(process.env.JOOT_TMPDIR ?? join(runDir(), 'tmp'), SESSION_DIR_PREFIX));
    const tmp = ws.tmp;
    ws.stack.push({ kind: 'dir', path: tmp }, () => rm(tmp, { recursive: true, force: true }));
    ws.sysroot = join(tmp, 'sysroot');
    await mkdir(ws.sysroot, { mode: 0o755 });
  }

  /**
   * Userspace engine: a filesystem no in-process reader reads (or, `root` given, a feature of one
   * met while reading it), mounted read-only through the kernel instead (as root, unless
   * kernelMounts is 'never'): its device exposed as a read-only loop device
   * (attach/userspace-export.ts), mounted hardened, and read by name from there. Refused, the
   * reader's reason is the one-line error, saying why the kernel cannot take over.
   */
  private async kernelFallback(device: string, vfstype: string, why: JootError, root?: HandoverRoot): Promise<FileSystemReader> {
    if (this.options.kernelMounts === 'never')
      throw why.withMessage(`${why.message} (the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never)`);
    if (process.geteuid?.() !== 0) throw why.withMessage(`${why.message} (the kernel fallback needs root)`);
    leaveSandbox(`${why.message}: a kernel mount`); // before the warning: the second run says it
    warn(
      root
        ? `${why.message}: reading ${device} through a read-only kernel mount from here on`
        : `${why.message}: mounting it read-only through the kernel instead`,
    );
    await this.openWorkspace();
    const ws = this.ws;
    const name = `fallback${++this.fallbacks}`;
    let host = this.fallbackDevices.get(device);
    if (!host) {
      host = exposeSource(this.us!.source(device), { tmpdir: ws.tmp, name, stack: ws.stack, missing: 'a userspace reader' });
      this.fallbackDevices.set(device, host);
      host.catch(() => this.fallbackDevices.delete(device));
    }
    const dir = join(ws.tmp, name);
    await mkdir(dir, { mode: 0o700 });
    ws.stack.push({ kind: 'dir', path: dir }, () => rm(dir, { recursive: true, force: true }));
    await mountFs(await host, dir, { vfstype, readonly: true, deviceReadonly: true, subvolid: root?.subvolid }, ws.stack);
    trace(
      `${device}: ${vfstype} served by the kernel (read-only mount${root?.subvolid !== undefined ? ` of subvolume ${root.subvolid}` : ''})`,
    );
    return hostDirFs(dir, vfstype, device);
  }

  private async doLaunch(): Promise<void> {
    await this.openWorkspace();
    const ws = this.ws;
    this.guestFiles = mountedGuestFiles(ws.sysroot, { readonly: () => this.readonly, mounts: () => this.mnt.list() });

    await settleAll(this.drives.list.map(async (d, i) => this.devices.addDisk(i, await this.drives.attach(i), d.readonly)));
    await settleAll(this.drives.list.map((d, i) => this.devices.findPartitions(d, i)));
    await this.fs.probe(this.devices.all());
    await this.fs.probe(await this.volumes.open());
    await this.adoptUserspaceVolumes();
    await this.fs.findSubvolumes();
  }

  // ---------------------------------------------------------------- names

  /** Rewrite host device names and temp paths in a message into guest terms. */
  private canonicalText(text: string): string {
    let out = this.devices.canonicalText(text);
    const { sysroot, tmp } = this.ws;
    if (sysroot) out = out.split(`${sysroot}/`).join('/').split(sysroot).join('/');
    if (tmp) out = out.split(tmp).join('<session>');
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
    return this.devices.get(name);
  }

  /** A mountable: a device with a filesystem, or btrfsvol:DEVICE/SUBVOL. */
  private mountable(name: string): Mountable {
    this.requireLaunched();
    return this.fs.mountable(name);
  }

  // ---------------------------------------------------------------- listing

  listDevices(): string[] {
    this.requireLaunched();
    if (this.us) return this.us.listDevices();
    return this.drives.names();
  }

  /** In drive order, then by partition number (drives are attached in parallel, so the
   *  order in which their partitions were found is not the order to show). */
  partitions(): PartitionInfo[] {
    this.requireLaunched();
    if (this.us) return this.us.partitions();
    const disks = this.listDevices();
    return this.devices
      .all()
      .filter((d) => d.partition)
      .map((d) => d.partition!)
      .sort((a, b) => disks.indexOf(a.disk) - disks.indexOf(b.disk) || a.number - b.number);
  }

  listPartitions(): string[] {
    return this.partitions().map((p) => p.name);
  }

  filesystems(): FilesystemInfo[] {
    this.requireLaunched();
    if (this.us) return this.us.filesystems();
    return this.fs.list(this.listDevices());
  }

  listFilesystems(): Map<string, string> {
    return new Map(this.filesystems().map((f) => [f.name, f.type]));
  }

  async vfsType(dev: string): Promise<string> {
    const us = this.usProbe(dev);
    if (us) return (await us).type ?? '';
    const m = this.mountable(dev);
    if (m.subvol !== undefined) return 'btrfs';
    return (await this.probed(m.dev)).type ?? '';
  }

  async vfsLabel(dev: string): Promise<string> {
    const us = this.usProbe(dev);
    if (us) return (await us).label ?? '';
    return (await this.probed(this.mountable(dev).dev)).label ?? '';
  }

  async vfsUuid(dev: string): Promise<string> {
    const us = this.usProbe(dev);
    if (us) return (await us).uuid ?? '';
    return (await this.probed(this.mountable(dev).dev)).uuid ?? '';
  }

  /** On the userspace engine: the probe of a mountable (undefined on the kernel engine). */
  private usProbe(name: string): Promise<Probe> | undefined {
    this.requireLaunched();
    return this.us ? this.guard(() => this.us!.probeOf(name)) : undefined;
  }

  private async probed(d: BlockDev): Promise<Probe> {
    await this.guard(() => this.fs.ensureProbed(d));
    return d.probe;
  }

  pvsFull(): PvInfo[] {
    this.requireLaunched();
    return this.us ? this.us.pvs : this.volumes.pvs;
  }
  vgsFull(): VgInfo[] {
    this.requireLaunched();
    return this.us ? this.us.vgs : this.volumes.vgs;
  }
  lvsFull(): LvInfo[] {
    this.requireLaunched();
    return this.us ? this.us.lvs : this.volumes.lvs;
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
    const tm = this.tm;
    if (tm) {
      return this.guard(() => {
        this.requireLaunched();
        this.activation.check(this.lvsFull(), device);
        return tm.mount(device, mountpoint, opts);
      });
    }
    return this.guard(async () => {
      this.requireLaunched();
      this.activation.check(this.lvsFull(), device);
      const m = this.mountable(device);
      // the kernel would mount it read-only without a word: a read-write mount is refused instead
      const why = opts.readonly ? undefined : decodedRefusal(m.dev, this.readonly);
      if (why) throw why;
      return this.mnt.mount(m, mountpoint, opts, () => this.guestFiles!.reader);
    });
  }

  /**
   * Why `device` (a device or btrfsvol:…) cannot be mounted read-write although the session is
   * read-write: it is a volume decoded in userspace (md, LUKS, an LV on them) on a host without md
   * or device-mapper. The one-line refusal that `mount` without readonly gives; undefined when it
   * can be, and always on the userspace engine (whose mounts are all read-only) or a read-only session.
   */
  unwritable(device: string): string | undefined {
    this.requireLaunched();
    if (this.tm) return undefined;
    return decodedRefusal(this.mountable(device).dev, this.readonly)?.message;
  }

  /**
   * guestfish's vg-activate: activate or deactivate the volume groups `vgs` (all when empty).
   * The LVs of a deactivated VG are still listed but cannot be mounted or opened (lv-activation.ts).
   */
  vgActivate(activate: boolean, vgs: readonly string[]): void {
    this.requireLaunched();
    this.activation.set(activate, vgs, this.vgs(), this.lvsFull(), this.mounts());
  }

  /** After vgrename: the VG keeps its activation under its new name. */
  vgRenamed(from: string, to: string): void {
    this.activation.renamed(from, to);
  }

  /**
   * guestfish's mount-loop: the filesystem image in the guest file `file` mounted at
   * `mountpoint` (kernel engine: a loop device on the file; userspace engine: an in-process
   * reader). The session's read-only drives make it read-only. Released by umount or close.
   */
  async mountLoop(file: string, mountpoint: string): Promise<void> {
    return this.guard(async () => {
      this.requireLaunched();
      if (this.tm) return this.tm.mountLoop(file, mountpoint);
      const reader = this.guestFiles!.reader;
      // the type from the file's own bytes, read through the guest-rooted reader
      const source = await guestFileSource(reader, file);
      let vfstype: string;
      try {
        vfstype = checkMountable(file, (await probe(source)).type);
      } finally {
        await source.close();
      }
      // a file on a read-only mount (or a read-only drive) is looped read-only
      const readonly = this.readonly || (mountHolding(this.mnt.list(), file)?.readonly ?? false);
      await this.mnt.mountLoop(file, mountpoint, vfstype, readonly, () => this.guestFiles!.reader);
    });
  }

  async umount(mountpointOrDevice: string): Promise<void> {
    return this.guard(async () => {
      this.requireLaunched();
      await (this.tm ?? this.mnt).umount(mountpointOrDevice);
    });
  }

  async umountAll(): Promise<void> {
    this.requireLaunched();
    // deepest first; mount-loop's mounts (named by a guest file, not a device) before the
    // filesystems their files are on
    const isLoop = (m: MountInfo) => m.device.startsWith('/') && !m.device.startsWith('/dev/');
    const order = [...(this.tm?.list() ?? this.mnt.mounted)].sort(
      (a, b) => Number(isLoop(b)) - Number(isLoop(a)) || b.mountpoint.length - a.mountpoint.length,
    );
    for (const m of order) await this.umount(m.mountpoint);
  }

  mountpoints(): MountInfo[] {
    this.requireLaunched();
    return (this.tm ?? this.mnt).list();
  }

  mounts(): string[] {
    this.requireLaunched();
    return this.tm ? this.tm.devices() : this.mnt.mounted.map((m) => m.device);
  }

  /**
   * Look inside a btrfs's subvolumes through ONE read-only mount of its top level (subvolid=5),
   * rather than one mount each: `fn` gets a guest-rooted reader for a subvolume path (one that
   * `filesystems()` lists). The mount is gone when `fn` settles.
   */
  async withSubvolumes<T>(device: string, fn: (readerOf: (subvol: string) => GuestFileReader) => Promise<T>): Promise<T> {
    const tm = this.tm;
    if (tm) return this.guard(() => tm.withSubvolumes(device, fn));
    return this.guard(async () => {
      const dev = this.device(device);
      const subvols = this.fs.subvolumes.get(dev.canonical);
      if (!subvols) throw new JootError('EINVAL', `${dev.canonical}: not a btrfs filesystem`);
      return this.mnt.withTopLevel(dev, subvols, fn);
    });
  }

  // ---------------------------------------------------------------- changing the layout

  /**
   * What the layout editor (layout/editor.ts) needs from the session: host devices for guest
   * names, the mount check, and a rescan after partitions, PVs or filesystems changed.
   */
  private layoutAccess(): LayoutAccess {
    const us = this.us;
    const tm = this.tm;
    return {
      userspace: us &&
        tm && {
          table: (name) => us.table(name),
          size: (name) => us.size(name),
          blkid: (name) => us.blkid(name),
          usage: (name) => tm.usage(name),
          btrfsSubvolumes: (dir) => tm.btrfsSubvolumes(dir),
        },
      target: async (name, opts) => {
        if (us) {
          // a read-only session says so in the kernel engine's words
          if (this.readonly) throw new JootError('EPERM', `${us.canonical(name)}: the drive is read-only (--ro)`);
          throw needsKernelEngine(`changing ${name}`);
        }
        const d = this.device(name);
        if (d.unavailable) throw new JootError('EUNSUPPORTED', d.unavailable);
        if (d.kind === 'lv') {
          // the editor works on it: it keeps its host device until the LVs are rescanned
          await this.devices.attachLv(d);
          d.pinned = true;
          await this.fs.ensureProbed(d);
        }
        if (opts?.wholeDisk && d.kind !== 'disk') throw new JootError('EINVAL', `${d.canonical}: not a whole disk (give /dev/sdX)`);
        const diskIndex = d.kind === 'lv' ? -1 : this.drives.names().indexOf(d.partition?.disk ?? d.canonical);
        const size =
          d.kind === 'disk'
            ? this.drives.list[diskIndex]!.image!.virtualSize
            : d.kind === 'lv'
              ? this.volumes.lvs.find((l) => l.name === d.canonical)?.size
              : d.partition?.size;
        const why = writeRefusal(d, this.readonly);
        return { canonical: d.canonical, host: d.host, kind: d.kind, writeRefusal: why, diskIndex, size, fstype: d.probe.type };
      },
      lvmScope: () =>
        this.devices
          .all()
          .filter((d) => d.kind !== 'lv' && !d.partition?.extended && d.host)
          .map((d) => d.host),
      canonicalOf: (host) => this.devices.canonicalOf(host),
      refuseIfInUse: (canonical) => this.refuseIfInUse(canonical),
      rescan: (what) => this.rescan(what),
      guard: (fn) => this.guard(fn),
      vgs: () => this.volumes.vgs,
      lvs: () => this.volumes.lvs,
      mountedHostDir: (canonical) => this.mnt.mounted.find((m) => m.device === canonical)?.hostTarget,
      hostPathOf: (guestPath) => this.reader.resolve(guestPath),
      hostPathForCreate: (guestPath) => this.writer.hostPathForCreate(guestPath),
      verifiedSubvolumes: () => this.fs.verifiedSubvolumes(),
      refreshSubvolumes: () => this.fs.findSubvolumes(),
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
    const why = writeRefusal(d, this.readonly);
    if (why) throw why;
    const diskOf = (x: BlockDev | undefined): string | undefined => (x?.kind === 'disk' ? x.canonical : x?.partition?.disk);
    // VGs with a PV on the device (or on a partition of the disk): their LVs live on it too
    const vgsOnIt = new Set(
      this.volumes.pvs
        .filter((p) => p.name === d.canonical || (d.kind === 'disk' && diskOf(this.devices.find(p.name)) === d.canonical))
        .map((p) => p.vg),
    );
    for (const m of this.mnt.mounted) {
      const dev = this.devices.find(
        m.device.startsWith('btrfsvol:') ? (parseBtrfsvol(m.device, this.devices.names())?.device ?? '') : m.device,
      );
      if (!dev) continue;
      const hit =
        dev.canonical === d.canonical ||
        (d.kind === 'disk' && diskOf(dev) === d.canonical) ||
        (dev.kind === 'lv' && vgsOnIt.has(this.volumes.vgOf(dev.canonical) ?? ''));
      if (hit) throw new JootError('EBUSY', `${d.canonical}: in use: ${m.device} is mounted on ${m.mountpoint} (umount it first)`);
    }
  }

  /**
   * Find partitions (of the given disks), filesystems and LVs again after a change. LV
   * mappings are dropped first: they hold the partitions open and may be stale.
   */
  private async rescan(what: { disks?: number[]; device?: string }): Promise<void> {
    // one device's content changed: probe it again; LVM only if it is or was a PV
    const one = what.device !== undefined ? this.devices.find(what.device) : undefined;
    if (one && !what.disks?.length) {
      const was = one.probe.type;
      await this.fs.probe([one]);
      if (one.kind === 'lv' || (was !== 'LVM2_member' && one.probe.type !== 'LVM2_member')) {
        if (was === 'btrfs' || one.probe.type === 'btrfs' || this.fs.subvolumes.has(one.canonical)) await this.fs.findSubvolumes();
        return;
      }
    }
    await this.volumes.drop();
    for (const i of what.disks ?? []) await this.devices.findPartitions(this.drives.list[i]!, i);
    await this.fs.probe(this.devices.all());
    await this.fs.probe(await this.volumes.open());
    await this.adoptUserspaceVolumes();
    await this.fs.findSubvolumes();
  }

  // ---------------------------------------------------------------- guest files

  /** The guest-rooted reader over whatever is mounted (symlinks never leave the guest). */
  get reader(): GuestFileReader {
    return this.files.reader;
  }

  /**
   * The guest-rooted writer over whatever is mounted (never follows a link out of the guest).
   * In a read-only session (every drive read-only) it refuses every operation with EPERM
   * ("PATH: the session is read-only"); a filesystem mounted read-only in a read-write session
   * refuses in the kernel, reported as "PATH: Read-only file system".
   */
  get writer(): GuestFileWriter {
    return this.files.writer;
  }

  /** Guest file access (reader and writer) over whatever is mounted; needs a filesystem on /. */
  get files(): GuestFiles {
    this.requireLaunched();
    if (!(this.tm ?? this.mnt).hasRoot) throw new JootError('ESTATE', 'no filesystem is mounted on /');
    return this.guestFiles!;
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
    this.ws.stack.push(resource, release);
  }

  execRoot(): { root: string; mounts: { mountpoint: string; hostTarget: string; readonly: boolean }[] } {
    this.requireLaunched();
    if (this.us) throw needsKernelEngine('running guest programs');
    if (this.readonly) throw new JootError('EPERM', 'refused on a read-only session: guest programs may write to the disk');
    if (!this.mnt.hasRoot) throw new JootError('ESTATE', 'no filesystem is mounted on / (mount the guest root first, or use -i)');
    return { root: this.ws.sysroot, mounts: this.mnt.hostTargets() };
  }

  // ---------------------------------------------------------------- devices as bytes

  /**
   * A device's bytes, read-only (guestfish download /dev/sda1): a disk, partition, LV, md
   * array or opened LUKS volume. Close it when done (on the kernel engine an LV's host device
   * is held until then).
   */
  async openDevice(name: string): Promise<ByteSource> {
    return this.guard(async () => {
      this.requireLaunched();
      this.activation.check(this.lvsFull(), name);
      if (this.us) {
        if (this.us.isExtended(name)) throw new JootError('EINVAL', `${name}: an extended partition holds no data of its own`);
        const src = this.us.source(name);
        return { name: src.name, size: src.size, read: (o, l) => src.read(o, l), close: async () => undefined };
      }
      const d = this.device(name);
      if (d.unavailable) throw new JootError('EUNSUPPORTED', d.unavailable);
      if (d.partition?.extended) throw new JootError('EINVAL', `${d.canonical}: an extended partition holds no data of its own`);
      const plan = d.lvPlan;
      if (plan?.kind === 'userspace') {
        // read in this process: never through its own export (a read of the exposed loop device
        // from here would wait on the NBD server this very thread runs)
        return { name: d.canonical, size: plan.source.size, read: (o, l) => plan.source.read(o, l), close: async () => undefined };
      }
      await this.devices.attachLv(d);
      let src: ByteSource;
      try {
        src = await FileSource.open(d.host, d.canonical);
      } catch (e) {
        await this.devices.releaseLvIfUnused(d);
        throw e;
      }
      return {
        name: d.canonical,
        size: src.size,
        read: (o, l) => src.read(o, l),
        close: async () => {
          await src.close();
          await this.devices.releaseLvIfUnused(d);
        },
      };
    });
  }

  // ---------------------------------------------------------------- md and LUKS

  /** md arrays found (guestfish list-md-devices). */
  listMdDevices(): string[] {
    this.requireLaunched();
    return (this.us ?? this.kus)?.mdDevices() ?? [];
  }

  /** guestfish md-detail: the array's facts as mdadm --detail --export gives them. */
  mdDetail(name: string): [string, string][] {
    this.requireLaunched();
    const us = this.us ?? this.kus;
    if (us) return us.mdDetail(name);
    throw new JootError('EINVAL', `${name}: not an md device`);
  }

  /** Opened LUKS volumes as /dev/mapper/NAME (guestfish list-dm-devices). */
  listDmDevices(): string[] {
    this.requireLaunched();
    return (this.us ?? this.kus)?.dmDevices() ?? [];
  }

  /** guestfish luks-open: open the LUKS volume on `device` as /dev/mapper/`mapName`, read-only. */
  async luksOpen(device: string, key: Buffer, mapName: string): Promise<void> {
    return this.guard(async () => {
      this.requireLaunched();
      if (this.us) return this.us.luksOpen(device, key, mapName);
      if (this.kus) {
        // opened in userspace; the kernel engine exposes what it holds when used
        await this.kus.luksOpen(device, key, mapName);
        await this.adoptUserspaceVolumes();
        return;
      }
      throw new JootError('EINVAL', `${device}: not a LUKS device`);
    });
  }

  async luksClose(name: string): Promise<void> {
    return this.guard(async () => {
      this.requireLaunched();
      const us = this.us ?? this.kus;
      if (!us) throw new JootError('ENOENT', `${name}: no such opened LUKS volume`);
      if (this.kus && this.devices.find(name)?.host)
        throw new JootError('EBUSY', `${name}: in use (exposed to the kernel until the session closes)`);
      await us.luksClose(name);
      if (this.kus) this.devices.delete(name);
    });
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
    this.ws.stack.abort(new JootError('ESTATE', 'the session was closed'));
    if (this.inflight.size) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((r) => (timer = setTimeout(r, 10_000)));
      await Promise.race([Promise.allSettled([...this.inflight]), limit]);
      clearTimeout(timer);
    }
    this.mnt.mounted.length = 0;
    try {
      try {
        await this.ws.stack[Symbol.asyncDispose]();
      } finally {
        // after the exports over them are gone
        await this.kus?.close();
        this.tm?.close();
        await this.us?.close();
      }
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

/** The mount whose mountpoint holds guest path `p` (the deepest one). */
function mountHolding(list: readonly MountInfo[], p: string): MountInfo | undefined {
  return list
    .filter((m) => m.mountpoint === '/' || p === m.mountpoint || p.startsWith(`${m.mountpoint}/`))
    .sort((a, b) => b.mountpoint.length - a.mountpoint.length)[0];
}
