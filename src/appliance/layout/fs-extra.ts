// guestfish's ext, xfs, ntfs and btrfs administration commands beyond mkfs (tune2fs, mke2fs,
// xfs_admin, ntfsresize, btrfs subvolume snapshots…), on the session's host devices. Each
// resolves the guest name through the layout editor's access, runs the tool through
// core/run.ts with the device after `--`, and lets the session probe the device again when
// the tool may have changed what blkid sees. Reads that need a host device say so in one
// line on the userspace engine.
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { hostHas } from '../fs-admin/host-tools.js';
import { runTool, toolMessage } from '../fs-admin/tool-error.js';
import { needsKernelEngine } from '../userspace-engine.js';
import type { LayoutEditor, LayoutTarget } from './editor.js';
import * as tools from './fs-tools.js';

const EXT = new Set(['ext2', 'ext3', 'ext4']);

function need(cmd: string, what: string): void {
  if (!hostHas(cmd)) throw new JootError('EUNSUPPORTED', `${what}: ${cmd} is not installed on this host`);
}

function requireType(t: LayoutTarget, ok: (type: string) => boolean, what: string): string {
  const type = t.fstype ?? '';
  if (!ok(type)) throw new JootError('EINVAL', `${t.canonical}: holds ${type || 'no filesystem'}, not ${what}`);
  return type;
}

export class FsExtra {
  constructor(private readonly editor: LayoutEditor) {}

  private get access() {
    return this.editor.access;
  }

  /** A read of a device through a host tool: kernel engine only; mounted is fine. */
  private read<T>(name: string, what: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => {
      if (this.access.userspace) throw needsKernelEngine(`${what} of ${name}`);
      return fn(await this.access.target(name));
    });
  }

  /**
   * A change that the tool makes safely on a mounted filesystem too (tune2fs, e2label): only a
   * read-only drive is refused; the device is probed again afterwards.
   */
  private tune<T>(name: string, fn: (t: LayoutTarget) => Promise<T>): Promise<T> {
    return this.access.guard(async () => {
      const t = await this.access.target(name);
      if (t.writeRefusal) throw t.writeRefusal;
      try {
        return await fn(t);
      } finally {
        await this.access.rescan({ device: t.canonical });
      }
    });
  }

  // ------------------------------------------------------------ ext2/3/4

  async tune2fs(device: string, o: tools.Tune2fsOptions): Promise<void> {
    tools.tune2fsArgs('/dev/null', o); // options checked before the device is looked up
    need('tune2fs', 'tune2fs');
    await this.tune(device, async (t) => {
      requireType(t, (x) => EXT.has(x), 'an ext2/3/4 filesystem');
      await runTool({ cmd: 'tune2fs', args: tools.tune2fsArgs(t.host, o) }, t.host);
    });
  }

  async tune2fsList(device: string): Promise<[string, string][]> {
    need('tune2fs', 'tune2fs-l');
    return this.read(device, 'the superblock', async (t) => {
      requireType(t, (x) => EXT.has(x), 'an ext2/3/4 filesystem');
      const r = await runTool({ cmd: 'tune2fs', args: ['-l', '--', t.host] }, t.host);
      return tools.parseTune2fsList(r.stdout);
    });
  }

  /** e2label, which ext allows on a mounted filesystem (guestfish set-e2label). */
  async setE2label(device: string, label: string): Promise<void> {
    if (Buffer.byteLength(label) > 16) throw new JootError('EINVAL', `${label}: ext labels are limited to 16 bytes`);
    need('e2label', 'set-e2label');
    await this.tune(device, async (t) => {
      requireType(t, (x) => EXT.has(x), 'an ext2/3/4 filesystem');
      // e2label takes no options: the device is always its first argument
      await runTool({ cmd: 'e2label', args: [t.host, label] }, t.host);
    });
  }

  /**
   * mke2fs with guestfish's options. A journaldevice given as a guest device, LABEL=… or
   * UUID=… is resolved here among the session's own devices (mke2fs would search the host's).
   */
  async mke2fs(device: string, o: tools.Mke2fsOptions): Promise<void> {
    tools.mke2fsArgs('/dev/null', { ...o, journaldevice: undefined });
    need('mke2fs', 'mke2fs');
    let journal: string | undefined;
    if (o.journaldevice !== undefined) {
      const guest = await this.findJournal(o.journaldevice);
      journal = await this.access.guard(async () => {
        const j = await this.access.target(guest);
        this.access.refuseIfInUse(j.canonical);
        return j.host;
      });
    }
    await this.editor.changeDevice(device, async (t) => {
      await runTool({ cmd: 'mke2fs', args: tools.mke2fsArgs(t.host, { ...o, journaldevice: journal }) }, t.host);
    });
  }

  private async findJournal(spec: string): Promise<string> {
    const m = /^(LABEL|UUID)=(.*)$/.exec(spec);
    if (!m) return spec;
    const key = m[1]!;
    const want = m[2]!;
    for (const name of this.candidateDevices()) {
      const tags = await this.editor.blkid(name).catch(() => [] as [string, string][]);
      if (tags.some(([k, v]) => k === key && (key === 'UUID' ? v.toLowerCase() === want.toLowerCase() : v === want))) return name;
    }
    throw new JootError('ENOENT', `journaldevice: ${spec}: no device of this session has that ${key.toLowerCase()}`);
  }

  /** Disks, partitions and LVs of the session, by guest name. */
  private candidateDevices(): string[] {
    return [...this.access.lvmScope().map((h) => this.access.canonicalOf(h)), ...this.access.lvs().map((l) => l.name)];
  }

  // ------------------------------------------------------------ minimum size

  /** The size a filesystem could shrink to, in bytes (guestfish vfs-minimum-size). */
  async vfsMinimumSize(device: string): Promise<number> {
    return this.read(device, 'the minimum size', async (t) => {
      const type = t.fstype ?? '';
      if (EXT.has(type)) {
        need('resize2fs', 'vfs-minimum-size');
        const r = await runTool({ cmd: 'resize2fs', args: ['-P', '--', t.host] }, t.host);
        const blocks = tools.parseResize2fsMinimum(r.stdout);
        const sb = await runTool({ cmd: 'tune2fs', args: ['-l', '--', t.host] }, t.host);
        const bs = Number(tools.parseTune2fsList(sb.stdout).find(([k]) => k === 'Block size')?.[1]);
        if (!Number.isSafeInteger(bs) || bs <= 0) throw new JootError('ECMD', `${t.canonical}: tune2fs -l gave no block size`);
        return blocks * bs;
      }
      if (type === 'ntfs') {
        need('ntfsresize', 'vfs-minimum-size');
        // ntfsprogs take no `--` (the host device is a /dev path: never read as an option)
        const r = await runTool({ cmd: 'ntfsresize', args: ['--info', '--force', '--no-progress-bar', t.host] }, t.host);
        return tools.parseNtfsMinimum(r.stdout);
      }
      if (type === 'btrfs') {
        const dir = this.access.mountedHostDir(t.canonical);
        if (!dir) throw new JootError('EINVAL', `${t.canonical}: btrfs tells its minimum size only while mounted (mount it first)`);
        const r = await runTool({ cmd: 'btrfs', args: ['inspect-internal', 'min-dev-size', '--', dir] }, t.canonical);
        return tools.parseBtrfsMinimum(r.stdout);
      }
      if (type === 'xfs') {
        // xfs cannot shrink: its minimum is its size
        const info = await this.xfsInfoOf(t.host, t.canonical);
        const get = (k: string) => Number(info.find(([f]) => f === k)?.[1]);
        return get('xfs_blocksize') * get('xfs_datablocks');
      }
      throw new JootError('EUNSUPPORTED', `${t.canonical}: the minimum size of ${type || 'this content'} is not known`);
    });
  }

  // ------------------------------------------------------------ xfs

  /** xfs_info of a device or of the xfs mounted at a guest path. */
  async xfsInfo(pathOrDevice: string): Promise<[string, string | number][]> {
    need('xfs_info', 'xfs-info');
    if (pathOrDevice.startsWith('/dev/')) {
      return this.read(pathOrDevice, 'the xfs geometry', async (t) => {
        requireType(t, (x) => x === 'xfs', 'an xfs filesystem');
        return this.xfsInfoOf(t.host, t.canonical);
      });
    }
    return this.access.guard(async () => {
      if (this.access.userspace) throw needsKernelEngine(`the xfs geometry of ${pathOrDevice}`);
      return this.xfsInfoOf(await this.access.hostPathOf(pathOrDevice), pathOrDevice);
    });
  }

  private async xfsInfoOf(host: string, name: string): Promise<[string, string | number][]> {
    const r = await runTool({ cmd: 'xfs_info', args: ['--', host] }, host);
    return tools.parseXfsInfo(r.stdout, name);
  }

  /** xfs_growfs of the xfs mounted at a guest path. */
  async xfsGrowfs(guestPath: string, o: tools.XfsGrowfsOptions): Promise<void> {
    tools.xfsGrowfsArgs('/', o);
    need('xfs_growfs', 'xfs-growfs');
    await this.access.guard(async () => {
      const host = await this.access.hostPathOf(guestPath);
      await runTool({ cmd: 'xfs_growfs', args: tools.xfsGrowfsArgs(host, o) }, host);
    });
  }

  async xfsAdmin(device: string, o: tools.XfsAdminOptions): Promise<void> {
    tools.xfsAdminArgs('/dev/null', o);
    need('xfs_admin', 'xfs-admin');
    await this.editor.changeDevice(device, async (t) => {
      requireType(t, (x) => x === 'xfs', 'an xfs filesystem');
      const args = tools.xfsAdminArgs(t.host, o);
      const r = await run('xfs_admin', args, { allowFailure: true, input: '' });
      if (r.exitCode !== 0) {
        // xfs_admin prints why on stdout (its xfs_repair's progress goes to stderr)
        const why = `${r.stdout}\n${r.stderr}`
          .split('\n')
          .map((l) => l.trim())
          .find((l) => /cannot|error|fail|invalid|not /i.test(l));
        throw new JootError('ECMD', `xfs_admin ${t.host}: ${why ?? toolMessage('xfs_admin', t.host, r.stderr, r.stdout, r.exitCode)}`);
      }
    });
  }

  /**
   * xfs_repair of a device (or, for a guest path, of an image file): 0 nothing found, 1
   * corruption found (with nomodify:true, which changes nothing).
   */
  async xfsRepair(target: string, o: tools.XfsRepairOptions): Promise<number> {
    tools.xfsRepairArgs('/dev/null', o);
    need('xfs_repair', 'xfs-repair');
    return this.access.guard(async () => {
      const logdev = o.logdev === undefined ? undefined : (await this.access.target(o.logdev)).host;
      const rtdev = o.rtdev === undefined ? undefined : (await this.access.target(o.rtdev)).host;
      const opts = { ...o, logdev, rtdev };
      const runIt = async (host: string, file: boolean) => {
        const r = await runTool({ cmd: 'xfs_repair', args: tools.xfsRepairArgs(host, opts, file) }, host, {
          okExit: o.nomodify ? [1] : [],
        });
        return r.exitCode === 0 ? 0 : 1;
      };
      if (!target.startsWith('/dev/')) {
        const host = await this.access.hostPathOf(target);
        return runIt(host, true);
      }
      if (o.nomodify) {
        const t = await this.access.target(target);
        if (this.access.mountedHostDir(t.canonical)) throw new JootError('EBUSY', `${t.canonical}: is mounted (umount it first)`);
        requireType(t, (x) => x === 'xfs', 'an xfs filesystem');
        return runIt(t.host, false);
      }
      return this.editor.changeDevice(target, (t) => {
        requireType(t, (x) => x === 'xfs', 'an xfs filesystem');
        return runIt(t.host, false);
      });
    });
  }

  // ------------------------------------------------------------ ntfs

  async ntfsresize(device: string, o: { size?: number; force?: boolean }): Promise<void> {
    if (o.size !== undefined && !(Number.isSafeInteger(o.size) && o.size > 0))
      throw new JootError('EINVAL', `size: ${o.size}: must be a positive number of bytes`);
    need('ntfsresize', 'ntfsresize');
    await this.editor.changeDevice(device, async (t) => {
      requireType(t, (x) => x === 'ntfs', 'an NTFS filesystem');
      const args = ['--no-progress-bar'];
      if (o.size !== undefined) args.push('--size', String(o.size));
      if (o.force) args.push('--force');
      // it asks "Are you sure you want to proceed (y/[n])?" before it writes: the caller said so
      await runTool({ cmd: 'ntfsresize', args: [...args, t.host] }, t.host, { input: 'y\n' });
    });
  }

  async ntfsfix(device: string, o: { clearbadsectors?: boolean }): Promise<void> {
    need('ntfsfix', 'ntfsfix');
    await this.editor.changeDevice(device, async (t) => {
      requireType(t, (x) => x === 'ntfs', 'an NTFS filesystem');
      await runTool({ cmd: 'ntfsfix', args: [...(o.clearbadsectors ? ['-b'] : []), t.host] }, t.host);
    });
  }

  // ------------------------------------------------------------ btrfs

  /**
   * Run btrfs; on failure one line naming `what` (guest names). `hosts` maps the host paths
   * given to it back to guest paths: btrfs names them in its messages.
   */
  private async btrfs(args: string[], what: string, hosts: [string, string][]): Promise<string> {
    need('btrfs', what);
    const r = await run('btrfs', args, { allowFailure: true, input: '' });
    if (r.exitCode !== 0) {
      let line =
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.trim())
          .pop()
          ?.replace(/^ERROR:\s*/, '') ?? `failed (exit ${r.exitCode})`;
      for (const [host, guest] of hosts) line = line.split(host).join(guest);
      throw new JootError('ECMD', `${what}: ${line}`);
    }
    return r.stdout;
  }

  async btrfsSubvolumeSnapshot(source: string, dest: string, o: { ro?: boolean; qgroupid?: string }): Promise<void> {
    if (o.qgroupid !== undefined && !/^\d+\/\d+$/.test(o.qgroupid))
      throw new JootError('EINVAL', `qgroupid: ${o.qgroupid}: a qgroup id is LEVEL/ID`);
    await this.access.guard(async () => {
      const src = await this.access.hostPathOf(source);
      const dst = await this.access.hostPathForCreate(dest);
      const flags = [...(o.ro ? ['-r'] : []), ...(o.qgroupid !== undefined ? ['-i', o.qgroupid] : [])];
      await this.btrfs(['subvolume', 'snapshot', ...flags, '--', src, dst], `${source} ${dest}`, [
        [src, source],
        [dst, dest],
      ]);
      await this.access.refreshSubvolumes();
    });
  }

  async btrfsSubvolumeDelete(subvolume: string): Promise<void> {
    await this.access.guard(async () => {
      const host = await this.access.hostPathOf(subvolume);
      await this.btrfs(['subvolume', 'delete', '--', host], subvolume, [[host, subvolume]]);
      await this.access.refreshSubvolumes();
    });
  }

  async btrfsSubvolumeSetDefault(id: number, fs: string): Promise<void> {
    if (!(Number.isSafeInteger(id) && id >= 0)) throw new JootError('EINVAL', `id: ${id}: not a subvolume id`);
    await this.access.guard(async () => {
      const host = await this.access.hostPathOf(fs);
      // get-default and set-default take no `--` (btrfs-progs 6.2); the host path is absolute
      await this.btrfs(['subvolume', 'set-default', String(id), host], fs, [[host, fs]]);
    });
  }

  /** The default subvolume's id, of a guest path or of a mounted btrfs device. */
  async btrfsSubvolumeGetDefault(fs: string): Promise<number> {
    return this.access.guard(async () => {
      if (this.access.userspace) throw needsKernelEngine(`the default subvolume of ${fs}`);
      const host = await this.mountedPath(fs);
      return tools.parseBtrfsDefault(await this.btrfs(['subvolume', 'get-default', host], fs, [[host, fs]]));
    });
  }

  async btrfsSubvolumeShow(subvolume: string): Promise<[string, string][]> {
    return this.access.guard(async () => {
      if (this.access.userspace) throw needsKernelEngine(`the details of subvolume ${subvolume}`);
      const host = await this.access.hostPathOf(subvolume);
      return tools.parseBtrfsSubvolumeShow(await this.btrfs(['subvolume', 'show', '--', host], subvolume, [[host, subvolume]]));
    });
  }

  /** Grow or shrink the btrfs mounted at a guest path to `size` bytes (or as far as it goes). */
  async btrfsFilesystemResize(mountpoint: string, size?: number): Promise<void> {
    if (size !== undefined && !(Number.isSafeInteger(size) && size > 0))
      throw new JootError('EINVAL', `size: ${size}: must be a positive number of bytes`);
    await this.access.guard(async () => {
      const host = await this.access.hostPathOf(mountpoint);
      await this.btrfs(['filesystem', 'resize', '--', size === undefined ? 'max' : String(size), host], mountpoint, [[host, mountpoint]]);
    });
  }

  /** A guest path as a host path; a device must be mounted (its mount's host directory). */
  private async mountedPath(fs: string): Promise<string> {
    if (!fs.startsWith('/dev/')) return this.access.hostPathOf(fs);
    const t = await this.access.target(fs);
    const dir = this.access.mountedHostDir(t.canonical);
    if (!dir) throw new JootError('EINVAL', `${t.canonical}: not mounted (mount it, or give a directory of the mounted btrfs)`);
    return dir;
  }
}
