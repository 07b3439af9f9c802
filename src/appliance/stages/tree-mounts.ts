// The userspace engine's mounts: a mount table inside the process (disk/fs/tree.ts) of
// filesystem readers over the engine's devices. Nothing is mounted on the host; every mount is
// read-only. Same checks and messages as the kernel engine's Mounts, so the engines answer alike.
import { JootError } from '../../core/errors.js';
import { trace } from '../../core/run.js';
import { GuestTree } from '../../disk/fs/tree.js';
import { openFilesystem } from '../../disk/fs/index.js';
import { probe } from '../../disk/probe/index.js';
import type { ByteSource } from '../../disk/source.js';
import { guestFileSource } from '../guest-file-source.js';
import type { FileSystemReader } from '../../disk/fs/types.js';
import { normalizeDevice, parseBtrfsvol } from '../names.js';
import type { MountInfo, MountOptions } from '../types.js';
import { type FilesystemUsage, usageFromStatfs } from '../fs-admin/usage.js';
import type { UserspaceEngine } from '../userspace-engine.js';
import type { HandoverRoot } from '../kernel-handover.js';
import type { GuestFileReader } from '../guest-files.js';
import { TreeGuestReader } from '../tree-reader.js';
import { byMountpoint, checkMountable, checkMountpoint, findUnmountable } from './mount-checks.js';

/**
 * Mount options a read-only in-process mount takes (and ignores): anything else is refused.
 * `degraded` too: the btrfs reader reads a filesystem with a member missing from the copies there are.
 */
const HARMLESS =
  /^(ro|rw|noatime|relatime|nodiratime|norecovery|noload|nodev|nosuid|noexec|exec|defaults|errors=[a-z-]+|rescue=[a-z,]+|nologreplay|degraded)$/;

export class TreeMounts {
  readonly tree = new GuestTree();
  private readonly mounted: MountInfo[] = [];
  /** mount-loop's filesystems, by the guest file's name: their reader and source close on umount */
  private readonly loops = new Map<string, { fs: FileSystemReader; source: ByteSource }>();

  constructor(
    private readonly us: UserspaceEngine,
    /** a filesystem (or a feature of one, `root` given) no reader reads: another way to read it, or the reason rethrown */
    private readonly fallback?: (device: string, vfstype: string, why: JootError, root?: HandoverRoot) => Promise<FileSystemReader>,
  ) {}

  get hasRoot(): boolean {
    return this.mounted.some((m) => m.mountpoint === '/');
  }

  /** The reader of a device's filesystem (the engine keeps one per device). */
  reader(device: string, vfstype: string): Promise<FileSystemReader> {
    const fallback = this.fallback;
    return this.us.fsReader(device, vfstype, fallback && ((why, root) => fallback(device, vfstype, why, root)));
  }

  /** A device's session name: an exact name first (/dev/mapper/luks-UUID is a name of its own,
   *  not VG-LV), else the user's spelling normalized. */
  private deviceName(name: string): string {
    return this.us.listAll().includes(name) ? name : normalizeDevice(name);
  }

  async mount(name: string, mountpoint: string, opts: MountOptions): Promise<void> {
    const bv = parseBtrfsvol(name, this.us.listAll());
    const device = bv ? bv.device : this.deviceName(name);
    let subvolume: string | number | undefined = bv?.subvol;
    for (const o of (opts.options ?? '').split(',').filter(Boolean)) {
      const sv = /^subvol=(.*)$/.exec(o);
      const id = /^subvolid=(\d+)$/.exec(o);
      if (sv) subvolume = sv[1]!.replace(/^\/+/, '');
      else if (id) subvolume = Number(id[1]);
      else if (!HARMLESS.test(o))
        throw new JootError('EUNSUPPORTED', `${name}: mount option '${o}' is not supported by the userspace engine`);
    }
    const shown = bv ? `btrfsvol:${device}/${bv.subvol}` : device;
    // the kernel engine's words for a subvolume the filesystem does not list
    if (bv && !this.us.subvolumesOf(device).includes(bv.subvol)) throw new JootError('ENOENT', `${shown}: no such btrfs subvolume`);
    mountpoint = checkMountpoint(mountpoint, this.hasRoot);
    let at = '/';
    if (mountpoint !== '/') {
      const where = await this.tree.locate(mountpoint, true);
      if ((where.stat.mode & 0o170000) !== 0o040000) throw new JootError('EINVAL', `${mountpoint}: not a directory`);
      at = where.path;
    }
    if (this.tree.mountAt(at)) throw new JootError('EBUSY', `${mountpoint}: something is already mounted there`);
    if (this.mounted.some((x) => x.device === shown)) throw new JootError('EBUSY', `${shown}: already mounted`);
    const probe = await this.us.probeOf(device);
    const vfstype = checkMountable(shown, opts.vfstype ?? probe.type);
    const fs = await this.reader(device, vfstype);
    // as the kernel mounts a btrfs with a device missing: only when asked to, with degraded
    const missing = fs.missingDevices ?? [];
    if (missing.length > 0 && !(opts.options ?? '').split(',').includes('degraded'))
      throw new JootError(
        'EIO',
        `${shown}: btrfs: ${missing.join(', ')} not among the session's devices (mount with the option degraded to read the copies there are)`,
      );
    const root = await fs.root(subvolume !== undefined ? { subvolume } : undefined);
    await this.tree.mount(at, fs, root, shown);
    // -v: which engine serves what (a kernel fallback traces its own line)
    trace(
      `mount ${shown} on ${mountpoint}: ${vfstype} read ${fs.servedBy === 'kernel' ? 'through a kernel mount (fallback)' : 'in-process'}`,
    );
    this.mounted.push({ device: shown, mountpoint, vfstype, readonly: true });
  }

  /**
   * mount-loop: the filesystem image in the guest file `file` (read through the mounted tree)
   * mounted at `mountpoint` by an in-process reader, read-only like every mount here.
   */
  async mountLoop(file: string, mountpoint: string): Promise<void> {
    mountpoint = checkMountpoint(mountpoint, this.hasRoot);
    if (mountpoint === '/') throw new JootError('EINVAL', `${file}: mount-loop needs a mountpoint below /`);
    const where = await this.tree.locate(mountpoint, true);
    if ((where.stat.mode & 0o170000) !== 0o040000) throw new JootError('EINVAL', `${mountpoint}: not a directory`);
    if (this.tree.mountAt(where.path)) throw new JootError('EBUSY', `${mountpoint}: something is already mounted there`);
    if (this.mounted.some((x) => x.device === file)) throw new JootError('EBUSY', `${file}: already mounted`);
    const source = await guestFileSource(new TreeGuestReader(this.tree), file);
    try {
      const vfstype = checkMountable(file, (await probe(source)).type);
      const fs = await openFilesystem(source, vfstype, file);
      try {
        await this.tree.mount(where.path, fs, await fs.root(), file);
      } catch (e) {
        await fs.close();
        throw e;
      }
      this.loops.set(file, { fs, source });
      trace(`mount-loop ${file} on ${mountpoint}: ${vfstype} read in-process`);
      this.mounted.push({ device: file, mountpoint, vfstype, readonly: true });
    } catch (e) {
      if (!this.loops.has(file)) await source.close();
      throw e;
    }
  }

  /**
   * Readers of a btrfs's subvolumes (by path from the top level) for as long as `fn` runs: each
   * a tree of its own with the subvolume on /.
   */
  async withSubvolumes<T>(name: string, fn: (readerOf: (subvol: string) => GuestFileReader) => Promise<T>): Promise<T> {
    const device = this.deviceName(name);
    const probe = await this.us.probeOf(device);
    if (probe.type !== 'btrfs') throw new JootError('EINVAL', `${device}: not a btrfs filesystem`);
    const fs = await this.reader(device, 'btrfs');
    const known = new Set((await fs.subvolumes?.())?.map((v) => v.path) ?? []);
    const trees = new Map<string, GuestTree>();
    for (const sv of known) {
      const t = new GuestTree();
      await t.mount('/', fs, await fs.root({ subvolume: sv }), `btrfsvol:${device}/${sv}`);
      trees.set(sv, t);
    }
    return fn((sv) => {
      const t = trees.get(sv);
      if (!t) throw new JootError('ENOENT', `btrfsvol:${device}/${sv}: no such btrfs subvolume`);
      return new TreeGuestReader(t);
    });
  }

  /** btrfs subvolume list of the btrfs a guest directory is on, by id, as its reader tells it. */
  async btrfsSubvolumes(guestDir: string): Promise<{ id: number; topLevel: number; path: string }[]> {
    const at = await this.tree.locate(guestDir, true);
    if (at.mount.fs.type !== 'btrfs' || !at.mount.fs.subvolumes) {
      throw new JootError('ECMD', `btrfs subvolume list ${guestDir}: not a btrfs filesystem: ${guestDir}`);
    }
    const subs = await at.mount.fs.subvolumes();
    return subs.map((v) => ({ id: v.id, topLevel: v.parentId, path: v.path })).sort((a, b) => a.id - b.id);
  }

  /** df of a mounted filesystem, as its reader tells it. */
  async usage(name: string): Promise<FilesystemUsage> {
    const key = this.deviceName(name);
    const m = this.tree.mounts.find((t) => t.device === key);
    if (!m) throw new JootError('EINVAL', `${key}: not mounted`);
    if (!m.fs.statfs) throw new JootError('EUNSUPPORTED', `${key}: the userspace engine cannot tell the usage of ${m.fs.type} filesystems`);
    const s = await m.fs.statfs();
    return usageFromStatfs({
      bsize: BigInt(s.bsize),
      blocks: BigInt(s.blocks),
      bfree: BigInt(s.bfree),
      bavail: BigInt(s.bavail),
      files: BigInt(s.files),
      ffree: BigInt(s.ffree),
    });
  }

  async umount(mountpointOrDevice: string): Promise<void> {
    const m = findUnmountable(this.mounted, mountpointOrDevice, this.deviceName(mountpointOrDevice));
    const top = this.tree.mounts.find((t) => t.device === m.device);
    if (top) this.tree.umount(top.mountpoint);
    this.mounted.splice(this.mounted.indexOf(m), 1);
    await this.closeLoop(m.device);
  }

  private async closeLoop(device: string): Promise<void> {
    const loop = this.loops.get(device);
    if (!loop) return;
    this.loops.delete(device);
    await loop.fs.close().catch(() => undefined);
    await loop.source.close().catch(() => undefined);
  }

  /** Sorted by mountpoint. */
  list(): MountInfo[] {
    return [...this.mounted].sort(byMountpoint);
  }

  /** Devices in the order they were mounted. */
  devices(): string[] {
    return this.mounted.map((m) => m.device);
  }

  /** Forget every mount (the readers are the engine's, closed with it; mount-loop's are closed here). */
  close(): void {
    this.tree.clear();
    this.mounted.length = 0;
    for (const device of [...this.loops.keys()]) void this.closeLoop(device);
  }
}
