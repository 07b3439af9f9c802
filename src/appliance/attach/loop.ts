// Loop devices: the raw-file backend, and the last hop of the FUSE backend and of LVs.
import type { CleanupStack } from '../cleanup.js';
import { JootError } from '../../core/errors.js';
import { readFile, stat } from 'node:fs/promises';
import { run, retryWhileBusy } from '../../core/run.js';
import type { ImageInfo } from '../image.js';
import { heldByQemu } from '../qemu-lock.js';
import { loopDiskseq } from '../registry.js';
import { stopHostArrays } from '../host-md.js';
import type { AttachBackend, AttachContext, AttachedDisk } from './backend.js';

export interface LoopOptions {
  readonly: boolean;
  /** let partitions exist on the device (losetup -P): needed for partx to add them here */
  partscan?: boolean;
  offset?: number;
  sizelimit?: number;
}

/** Attach `file` to a free loop device and register its detach. */
export async function attachLoop(file: string, opts: LoopOptions, stack: CleanupStack): Promise<string> {
  const args = ['--find', '--show'];
  if (opts.readonly) args.push('--read-only');
  if (opts.partscan) args.push('--partscan');
  if (opts.offset !== undefined) args.push('--offset', String(opts.offset));
  if (opts.sizelimit !== undefined) args.push('--sizelimit', String(opts.sizelimit));
  args.push(file);
  const r = await retryWhileBusy(() => run('losetup', args, { shielded: true }), 'losetup');
  const device = r.stdout.trim();
  if (!device.startsWith('/dev/loop')) throw new JootError('ECMD', `losetup returned no device for ${file}`);
  // diskseq identifies this attachment: a reaper must never detach a later reuse of the number
  stack.push({ kind: 'loop', device, backing: file, diskseq: loopDiskseq(device) }, async () => {
    // blockdev --setro (jfish's blockdev-setro) outlives a detach, and losetup does not clear
    // it: the next image attached on this number would be read-only
    if (!opts.readonly) await run('blockdev', ['--setrw', device], { allowFailure: true, shielded: true });
    await detachLoop(device, !!opts.partscan);
  });
  return device;
}

export async function detachLoop(device: string, hadPartitions: boolean): Promise<void> {
  // md arrays a stock host's udev assembled from its partitions would keep it attached
  if (hadPartitions) await stopHostArrays(device);
  // Without a kernel partition parser, partitions that partx added outlive the detach and
  // would haunt the next image on this loop number: delete them first.
  if (hadPartitions) await run('partx', ['-d', device], { allowFailure: true, shielded: true });
  await retryWhileBusy(() => run('losetup', ['-d', device], { shielded: true }), `losetup -d ${device}`);
}

/** Raw images (and host block devices): a loop device straight on the file. */
export const loopBackend: AttachBackend = {
  name: 'loop',
  async attach(image: ImageInfo, ctx: AttachContext): Promise<AttachedDisk> {
    if (image.chain.length !== 1 || image.format !== 'raw') {
      throw new JootError(
        'EUNSUPPORTED',
        `${image.given}: the loop backend opens only raw images without backing files (this is ${image.format})`,
      );
    }
    const file = image.chain[0]!.path;
    if (!ctx.readonly && !image.isBlockDevice) await refuseIfQemuHoldsIt(image.given, file);
    const device = await attachLoop(file, { readonly: ctx.readonly, partscan: true }, ctx.stack);
    return { device, backend: 'loop', kernelPartitions: false };
  },
};

// qemu's image locking (file-posix): OFD locks on single bytes of the image file, 100 + bit for
// each permission a user holds and 200 + bit for each one it does not share; bit 1 is WRITE.
const QEMU_WRITE_HELD = 101;
const QEMU_WRITE_UNSHARED = 201;

/** Linux dev_t as /proc/locks prints it: "MAJ:MIN" in hex. */
function devHex(dev: number): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/** Which of qemu's WRITE lock bytes some process holds on `file` (from /proc/locks). */
export async function qemuWriteLocks(file: string, locks?: string): Promise<number[]> {
  const st = await stat(file);
  const id = `${devHex(st.dev)}:${st.ino}`;
  const text = locks ?? (await readFile('/proc/locks', 'utf8').catch(() => ''));
  const held = new Set<number>();
  for (const line of text.split('\n')) {
    // "5: OFDLCK ADVISORY  READ -1 fe:00:1450648 101 101" (blocked waiters start with " ->")
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'OFDLCK' || f[5] !== id) continue;
    const start = Number(f[6]);
    const end = f[7] === 'EOF' ? Infinity : Number(f[7]);
    for (const b of [QEMU_WRITE_HELD, QEMU_WRITE_UNSHARED]) if (start <= b && b <= end) held.add(b);
  }
  return [...held].sort();
}

/**
 * A loop device takes none of qemu's image locks, and qemu's tools share raw images freely
 * (a qemu-storage-daemon or qemu-nbd export of a raw file lets anyone else write it too): before
 * writing a raw image, refuse it while a qemu process has it open for writing (or, like a VM's
 * disk, forbids others to write). Only checked at attach: a qemu started later sees no lock.
 */
async function refuseIfQemuHoldsIt(given: string, file: string): Promise<void> {
  const held = await qemuWriteLocks(file);
  if (held.length === 0) return;
  const why = held.includes(QEMU_WRITE_HELD)
    ? 'a qemu process has it open for writing'
    : 'a qemu process has it open and does not share write access';
  throw heldByQemu(given, why);
}
