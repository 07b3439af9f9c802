// Loop devices: the raw-file backend, and the last hop of the FUSE backend and of LVs.
import type { CleanupStack } from '../cleanup.js';
import { JootError } from '../errors.js';
import { run, retryWhileBusy } from '../run.js';
import type { ImageInfo } from '../image.js';
import { loopDiskseq } from '../registry.js';
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
  const r = await retryWhileBusy(() => run('losetup', args), 'losetup');
  const device = r.stdout.trim();
  if (!device.startsWith('/dev/loop')) throw new JootError('ECMD', `losetup returned no device for ${file}`);
  // diskseq identifies this attachment: a reaper must never detach a later reuse of the number
  stack.push({ kind: 'loop', device, backing: file, diskseq: loopDiskseq(device) }, () => detachLoop(device, !!opts.partscan));
  return device;
}

export async function detachLoop(device: string, hadPartitions: boolean): Promise<void> {
  // Without a kernel partition parser, partitions that partx added outlive the detach and
  // would haunt the next image on this loop number: delete them first.
  if (hadPartitions) await run('partx', ['-d', device], { allowFailure: true });
  await retryWhileBusy(() => run('losetup', ['-d', device]), `losetup -d ${device}`);
}

/** Raw images (and host block devices): a loop device straight on the file. */
export const loopBackend: AttachBackend = {
  name: 'loop',
  async attach(image: ImageInfo, ctx: AttachContext): Promise<AttachedDisk> {
    if (image.chain.length !== 1 || image.format !== 'raw') {
      throw new JootError('EUNSUPPORTED', `${image.given}: the loop backend opens only raw images without backing files (this is ${image.format})`);
    }
    const device = await attachLoop(image.chain[0]!.path, { readonly: ctx.readonly, partscan: true }, ctx.stack);
    return { device, backend: 'loop', kernelPartitions: false };
  },
};
