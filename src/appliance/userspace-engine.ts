// The Session's userspace engine: the disks read in-process through src/disk (no root, no
// loop device, no kernel parser), answering the device-level questions in the same shapes as
// the kernel engine (stages/), so a differential test can compare the two field by field.
// Its filesystems are read by the readers of src/disk/fs (one per device, opened when first
// mounted); changing the disks stays the kernel engine's: asked of this engine it fails with
// one line saying so.
import { JootError } from '../core/errors.js';
import type { ByteSource } from '../disk/source.js';
import { moduleFor, openFilesystem } from '../disk/fs/index.js';
import type { FileSystemReader } from '../disk/fs/types.js';
import { isUnsupportedRead, type KernelReader, withKernelHandover } from './kernel-handover.js';
import { trace, warn } from '../core/run.js';
import { DiskStack, type DriveSpec, type StackDevice, type StackOptions } from '../disk/stack.js';
import { probeExport } from '../disk/probe/index.js';
import { toLayoutTable } from '../disk/volumes/partitions.js';
import type { Table } from './layout/partition-table.js';
import { normalizeDevice, noSuchDevice, parseBtrfsvol } from './names.js';
import type { Probe } from '../disk/types.js';
import type { FilesystemInfo, LvInfo, PartitionInfo, PvInfo, VgInfo } from './types.js';

export type EngineName = 'kernel' | 'userspace';

/** The error for what only the kernel engine does (mounting, writing, running guest programs). */
export function needsKernelEngine(what: string): JootError {
  return new JootError(
    'EUNSUPPORTED',
    `${what}: needs the kernel engine (--engine=kernel, as root); the userspace engine reads devices, partitions and volumes only`,
  );
}

export class UserspaceEngine {
  /** filesystem readers by device, opened once (mounts of a btrfs's subvolumes share one) */
  private readonly readers = new Map<string, Promise<FileSystemReader>>();
  /** the same, handing over to a kernel mount where they meet what they do not read */
  private readonly handovers = new Map<string, Promise<FileSystemReader>>();
  /** btrfs device → its subvolumes' paths (btrfsvol:DEVICE/PATH) */
  private readonly subvolumes = new Map<string, string[]>();

  /** `stack`: the disks as read in-process (the kernel engine adopts volumes from it too) */
  private constructor(readonly stack: DiskStack) {}

  static async open(drives: readonly DriveSpec[], opts: StackOptions): Promise<UserspaceEngine> {
    return new UserspaceEngine(await DiskStack.open(drives, opts));
  }

  async close(): Promise<void> {
    const rs = [...this.readers.values()];
    this.readers.clear();
    this.handovers.clear();
    for (const r of rs) await r.then((x) => x.close()).catch(() => undefined);
    await this.stack.close();
  }

  /**
   * The reader of a device's filesystem of type `vfstype`, opened once. `otherwise`: what reads
   * it where the reader does not (a kernel mount): from the start when no reader module opens it
   * (its reason given, no root), or from the first feature the reader refuses while reading
   * (kernel-handover.ts: its reason and the root the caller opened).
   */
  fsReader(device: string, vfstype: string, otherwise?: KernelReader): Promise<FileSystemReader> {
    if (!otherwise) return this.opened(device, vfstype);
    let r = this.handovers.get(device);
    if (!r) {
      r = this.opened(device, vfstype).then(
        (fs) => withKernelHandover(fs, otherwise),
        (e: unknown) => (isUnsupportedRead(e) ? otherwise(e) : Promise.reject(e)),
      );
      this.handovers.set(device, r);
      r.catch(() => this.handovers.delete(device));
    }
    return r;
  }

  /** The userspace reader of a device's filesystem, opened once. */
  private opened(device: string, vfstype: string): Promise<FileSystemReader> {
    let r = this.readers.get(device);
    if (!r) {
      // a btrfs over several devices finds its other members among the session's
      const siblings = async () =>
        (await this.stack.btrfsSiblings(this.device(device).canonical)).map((d) => ({ device: d.canonical, source: d.source! }));
      r = openFilesystem(this.source(device), vfstype, device, { siblings });
      this.readers.set(device, r);
      r.catch(() => this.readers.delete(device));
    }
    return r;
  }

  /** List every btrfs's subvolumes (where a reader reads btrfs); one that cannot be read lists none. */
  async findSubvolumes(): Promise<void> {
    this.subvolumes.clear();
    if (!moduleFor('btrfs')) return;
    for (const f of this.stack.filesystems()) {
      if (f.type !== 'btrfs') continue;
      try {
        const fs = await this.fsReader(f.name, 'btrfs');
        // by path, in code-unit order, as the kernel engine lists them
        const all = ((await fs.subvolumes?.()) ?? []).map((v) => v.path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        // as the kernel engine: a name with control characters would make phantom lines
        const ok = all.filter((p) => !/[\x00-\x1f\x7f]/.test(p));
        const skipped = all.length - ok.length;
        if (skipped)
          warn(
            `${f.name}: skipped ${skipped} btrfs subvolume list entr${skipped === 1 ? 'y' : 'ies'} (a name with control characters, or not matching the filesystem)`,
          );
        this.subvolumes.set(f.name, ok);
      } catch (e) {
        trace(`${f.name}: btrfs subvolumes not listed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Subvolume paths of a btrfs device (empty when none or not listed). */
  subvolumesOf(device: string): string[] {
    return this.subvolumes.get(device) ?? [];
  }

  private device(name: string): StackDevice {
    // exact first: /dev/mapper/luks-UUID is a name of its own, not VG-LV
    const d = this.stack.find(name) ?? this.stack.find(normalizeDevice(name));
    if (!d) throw noSuchDevice(name);
    return d;
  }

  private readable(name: string): StackDevice & { source: ByteSource } {
    const d = this.device(name);
    if (!d.source) throw new JootError('EUNSUPPORTED', d.unavailable ?? `${d.canonical}: cannot be read`);
    return d as StackDevice & { source: ByteSource };
  }

  /** The canonical name of a device (ENOENT when the session has none of that name). */
  canonical(name: string): string {
    return this.device(name).canonical;
  }

  /** Canonical names of every device: disks, partitions, md, LUKS, LVs. */
  listAll(): string[] {
    return this.stack.all().map((d) => d.canonical);
  }

  listDevices(): string[] {
    return this.stack.disks().map((d) => d.canonical);
  }

  partitions(): PartitionInfo[] {
    const disks = this.listDevices();
    return this.stack.partitions().sort((a, b) => disks.indexOf(a.disk) - disks.indexOf(b.disk) || a.number - b.number);
  }

  /** As the kernel engine lists them: each btrfs followed by its subvolumes. */
  filesystems(): FilesystemInfo[] {
    return this.stack
      .filesystems()
      .flatMap((f) => [
        f,
        ...this.subvolumesOf(f.name).map((sv) => ({ name: `btrfsvol:${f.name}/${sv}`, type: 'btrfs', label: f.label, uuid: f.uuid })),
      ]);
  }

  /** The probe of a mountable (a btrfs subvolume's is its device's). */
  async probeOf(mountable: string): Promise<Probe> {
    const bv = parseBtrfsvol(
      mountable,
      this.stack.all().map((d) => d.canonical),
    );
    const any = this.device(bv ? bv.device : mountable);
    if (any.partition?.extended) return {}; // a container of logical partitions: nothing to probe
    const d = this.readable(any.canonical);
    await this.stack.ensureProbed(d);
    return d.probe;
  }

  get pvs(): PvInfo[] {
    return this.stack.pvs;
  }
  get vgs(): VgInfo[] {
    return this.stack.vgs;
  }
  get lvs(): LvInfo[] {
    return this.stack.lvs;
  }

  /** The partition table of a whole disk, in the layout editor's shape (part-list, part-get-*). */
  table(name: string): Table {
    const d = this.device(name);
    if (d.kind !== 'disk') throw new JootError('EINVAL', `${d.canonical}: not a whole disk (give /dev/sdX)`);
    if (!d.table) throw new JootError('EINVAL', `${d.canonical}: no partition table`);
    return toLayoutTable(d.table);
  }

  size(name: string): bigint {
    return BigInt(this.readable(name).source.size);
  }

  /** blkid -p -o export of a device, less the host's device names. */
  async blkid(name: string): Promise<[string, string][]> {
    const d = this.readable(name);
    const p = d.partition;
    const disk = p ? this.stack.find(p.disk)?.table : undefined;
    const entry = p && disk ? disk.partitions.find((e) => e.number === p.number) : undefined;
    // a device that cannot be read where its superblocks would be (an LVM "error" segment) gives
    // nothing, as blkid -p finds nothing on an I/O error (and as the stack's probe: stack.ts)
    const nothingOnEio = (e: unknown): [string, string][] => {
      if (e instanceof JootError && e.code === 'EIO') return [];
      throw e;
    };
    return probeExport(
      d.source,
      p && disk && entry
        ? {
            scheme: disk.scheme,
            number: p.number,
            offset: p.start,
            size: p.size,
            type: entry.type,
            uuid: entry.uuid,
            name: entry.name,
            flags: disk.scheme === 'dos' ? (entry.bootable ? 0x80 : undefined) : entry.attrBits,
            diskId: disk.id,
          }
        : undefined,
    ).catch(nothingOnEio);
  }

  isExtended(name: string): boolean {
    return this.device(name).partition?.extended === true;
  }

  /** A device's bytes (download /dev/sda1). */
  source(name: string): ByteSource {
    return this.readable(name).source;
  }

  mdDevices(): string[] {
    return this.stack.mdArrays().map((a) => a.name);
  }

  mdDetail(name: string): [string, string][] {
    const a = this.stack.mdArrays().find((x) => x.name === normalizeDevice(name));
    if (!a) throw new JootError('EINVAL', `${name}: not an md device`);
    return a.detail;
  }

  /** The opened LUKS volumes (/dev/mapper/NAME), sorted. */
  dmDevices(): string[] {
    return this.stack
      .luksVolumes()
      .map((d) => d.canonical)
      .sort();
  }

  async luksOpen(device: string, key: Buffer, mapName: string): Promise<void> {
    await this.stack.luksOpen(this.device(device).canonical, key, mapName);
    await this.stack.rescan();
  }

  async luksClose(name: string): Promise<void> {
    await this.stack.luksClose(name);
  }
}

export function parseEngineName(name: string, source: string): EngineName {
  if (name === 'kernel' || name === 'userspace') return name;
  throw new JootError('EINVAL', `${source}: unknown engine '${name}' (expected userspace or kernel)`);
}

/**
 * The engine a session uses: the caller's choice (--engine, the configuration's `engine`), else
 * $JOOT_ENGINE, else the kernel engine for root and the userspace engine for everyone else.
 */
export function chooseEngine(requested?: EngineName, euid: number | undefined = process.geteuid?.()): EngineName {
  if (requested) return requested;
  const env = process.env.JOOT_ENGINE;
  if (env && env !== 'auto') return parseEngineName(env, 'JOOT_ENGINE');
  return euid === 0 ? 'kernel' : 'userspace';
}
