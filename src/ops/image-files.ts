// New image files on the host, with qemu-img. An existing file is never overwritten.
import { existsSync } from 'node:fs';
import { JootError } from '../core/errors.js';
import { run } from '../core/run.js';

/** The formats disk-create writes. */
export const IMAGE_FORMATS = ['raw', 'qcow2', 'vmdk', 'vdi', 'vhdx', 'vpc'];

/** Refuse a file that exists already (an image is never clobbered). */
export function refuseExisting(file: string): void {
  if (existsSync(file)) throw new JootError('EINVAL', `${file}: exists already (jfish never overwrites an image: remove it first)`);
}

/** qemu-img create; its last stderr line is the error (without "qemu-img: "). */
export async function qemuImgCreate(
  file: string,
  format: string,
  size: number | undefined,
  o: string[],
  backing?: { file: string; format: string },
): Promise<void> {
  const args = ['create', '-q', '-f', format];
  if (backing) args.push('-b', backing.file, '-F', backing.format);
  if (o.length) args.push('-o', o.join(','));
  args.push(file);
  if (size !== undefined) args.push(String(size));
  const r = await run('qemu-img', args, { allowFailure: true });
  if (r.exitCode !== 0)
    throw new JootError(
      'ECMD',
      r.stderr
        .trim()
        .split('\n')
        .pop()
        ?.replace(/^qemu-img:\s*/, '') || `qemu-img create failed (exit ${r.exitCode})`,
    );
}
