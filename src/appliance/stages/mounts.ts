// Stage 5, mounts: the guest's filesystems mounted under the sysroot at guest mountpoints
// (never outside it: a mountpoint is resolved inside the guest), and the read-only top-level
// btrfs mount that lets inspection look into every subvolume at once.
import { mkdtemp, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { type GuestFileReader, mountedGuestReader } from '../guest-files.js';
import { mountFs } from '../mount.js';
import { attachLoop } from '../attach/loop.js';
import type { MountInfo, MountOptions } from '../types.js';
import type { BlockDev, Devices } from './devices.js';
import { byMountpoint, checkMountable, checkMountpoint, findUnmountable } from './mount-checks.js';
import type { Filesystems, Mountable } from './filesystems.js';
import type { Workspace } from './workspace.js';

export interface Mounted extends MountInfo {
  hostTarget: string;
  /** the LV's host device was attached for this mount: released with it */
  attachedLv?: BlockDev;
  /** mount-loop's loop device over the guest file: detached with the mount */
  loopDevice?: string;
}

export class Mounts {
  readonly mounted: Mounted[] = [];

  constructor(
    private readonly ws: Workspace,
    private readonly devices: Devices,
    private readonly filesystems: Filesystems,
    /** the Session's rewriting of an error into guest terms */
    private readonly canonical: (e: unknown) => unknown,
  ) {}

  get hasRoot(): boolean {
    return this.mounted.some((m) => m.mountpoint === '/');
  }

  /** Whether a mount holds this LV's host device. */
  holds(d: BlockDev): boolean {
    return this.mounted.some((m) => m.attachedLv === d);
  }

  /** `reader` resolves a mountpoint inside the guest mounted so far. */
  async mount(m: Mountable, mountpoint: string, opts: MountOptions, reader: () => GuestFileReader): Promise<void> {
    const { dev, subvol, subvolid } = m;
    const name = subvol !== undefined ? `btrfsvol:${dev.canonical}/${subvol}` : dev.canonical;
    mountpoint = checkMountpoint(mountpoint, this.hasRoot);
    let target: string;
    if (mountpoint === '/') {
      target = this.ws.sysroot;
    } else {
      target = await reader().resolve(mountpoint);
      if (!(await reader().isDir(mountpoint))) throw new JootError('EINVAL', `${mountpoint}: not a directory`);
    }
    if (this.mounted.some((x) => x.hostTarget === target))
      throw new JootError('EBUSY', `${mountpoint}: something is already mounted there`);
    if (this.mounted.some((x) => x.device === name)) throw new JootError('EBUSY', `${name}: already mounted`);
    await this.filesystems.ensureProbed(dev);
    const vfstype = checkMountable(name, opts.vfstype ?? dev.probe.type);
    const readonly = (opts.readonly ?? false) || dev.readonly;
    // an LV gets its loop device for as long as it is mounted
    const attachedLv = dev.kind === 'lv' ? dev : undefined;
    await this.devices.attachLv(dev);
    try {
      const btrfsDevices = vfstype === 'btrfs' ? this.filesystems.btrfsSiblings(dev).map((d) => d.host) : undefined;
      await mountFs(
        dev.host,
        target,
        { vfstype, readonly, deviceReadonly: dev.readonly, options: opts.options, exec: opts.exec, subvolid, btrfsDevices },
        this.ws.stack,
      );
    } catch (e) {
      // name the LV in the message (`canonical`) before its host device goes
      const err = this.canonical(e);
      await this.devices.releaseLvIfUnused(dev);
      throw err;
    }
    this.mounted.push({ device: name, mountpoint, vfstype, readonly, hostTarget: target, attachedLv });
  }

  /**
   * mount-loop: the filesystem image in the guest file `file` mounted at `mountpoint` through a
   * loop device on the file's host path, resolved inside the guest (guest symlinks cannot lead
   * out of it). The loop device is released with the mount, or with the session.
   */
  async mountLoop(file: string, mountpoint: string, vfstype: string, readonly: boolean, reader: () => GuestFileReader): Promise<void> {
    mountpoint = checkMountpoint(mountpoint, this.hasRoot);
    if (mountpoint === '/') throw new JootError('EINVAL', `${file}: mount-loop needs a mountpoint below /`);
    const target = await reader().resolve(mountpoint);
    if (!(await reader().isDir(mountpoint))) throw new JootError('EINVAL', `${mountpoint}: not a directory`);
    if (this.mounted.some((x) => x.hostTarget === target))
      throw new JootError('EBUSY', `${mountpoint}: something is already mounted there`);
    if (this.mounted.some((x) => x.device === file)) throw new JootError('EBUSY', `${file}: already mounted`);
    const hostFile = await reader().resolve(file);
    const loopDevice = await attachLoop(hostFile, { readonly }, this.ws.stack);
    try {
      await mountFs(loopDevice, target, { vfstype, readonly, deviceReadonly: readonly }, this.ws.stack);
    } catch (e) {
      const err = this.canonical(e);
      await this.ws.stack.releaseOne((r) => r.kind === 'loop' && r.device === loopDevice);
      throw err;
    }
    this.mounted.push({ device: file, mountpoint, vfstype, readonly, hostTarget: target, loopDevice });
  }

  async umount(mountpointOrDevice: string): Promise<void> {
    const m = findUnmountable(this.mounted, mountpointOrDevice);
    await this.ws.stack.releaseOne((r) => r.kind === 'mount' && r.path === m.hostTarget);
    if (m.loopDevice) await this.ws.stack.releaseOne((r) => r.kind === 'loop' && r.device === m.loopDevice);
    this.mounted.splice(this.mounted.indexOf(m), 1);
    // the LV's loop goes with its last mount (a subvolume of it may still be mounted)
    if (m.attachedLv) await this.devices.releaseLvIfUnused(m.attachedLv);
  }

  /** Sorted by mountpoint. */
  list(): MountInfo[] {
    return this.mounted.map(({ device, mountpoint, vfstype, readonly }) => ({ device, mountpoint, vfstype, readonly })).sort(byMountpoint);
  }

  /** Host targets, shallowest first (what guest programs' containers bind). */
  hostTargets(): { mountpoint: string; hostTarget: string; readonly: boolean }[] {
    return this.mounted
      .map(({ mountpoint, hostTarget, readonly }) => ({ mountpoint, hostTarget, readonly }))
      .sort((a, b) => a.mountpoint.split('/').length - b.mountpoint.split('/').length || a.mountpoint.length - b.mountpoint.length);
  }

  /** One read-only mount of a btrfs's top level (subvolid=5) for as long as `fn` runs. */
  async withTopLevel<T>(
    dev: BlockDev,
    subvols: Map<string, number>,
    fn: (readerOf: (subvol: string) => GuestFileReader) => Promise<T>,
  ): Promise<T> {
    const target = await mkdtemp(join(this.ws.tmp, 'top-'));
    try {
      await this.devices.attachLv(dev);
      try {
        const btrfsDevices = this.filesystems.btrfsSiblings(dev).map((d) => d.host);
        // degraded: a look inside reads what there is, as the subvolume listing does
        await mountFs(
          dev.host,
          target,
          { vfstype: 'btrfs', readonly: true, deviceReadonly: true, subvolid: 5, btrfsDevices, options: 'degraded' },
          this.ws.stack,
        );
        try {
          return await fn((sv) => {
            if (!subvols.has(sv)) throw new JootError('ENOENT', `btrfsvol:${dev.canonical}/${sv}: no such btrfs subvolume`);
            return mountedGuestReader(join(target, sv));
          });
        } finally {
          await this.ws.stack.releaseOne((r) => r.kind === 'mount' && r.path === target);
        }
      } finally {
        await this.devices.releaseLvIfUnused(dev);
      }
    } finally {
      await rmdir(target).catch(() => undefined);
    }
  }
}
