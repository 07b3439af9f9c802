// Resizing ext2/3/4 (guestfish resize2fs, resize2fs-size, resize2fs-M). As libguestfs does,
// an unmounted filesystem is checked with e2fsck -fy first: resize2fs refuses one that was
// not freshly checked.
import { realpath } from 'node:fs/promises';
import { JootError } from '../../core/errors.js';
import { mounts } from '../../core/mountinfo.js';
import { runTool } from './tool-error.js';

export interface ResizeOptions {
  /** new size in bytes (a whole number of KiB); 'min': as small as it goes (-M); default: fill the device */
  size?: number | bigint | 'min';
}

export function resize2fsArgs(device: string, o: ResizeOptions = {}): string[] {
  if (o.size === undefined) return [device];
  if (o.size === 'min') return ['-M', device];
  const bytes = BigInt(o.size);
  if (bytes <= 0n || bytes % 1024n !== 0n)
    throw new JootError('EINVAL', `resize2fs: size ${o.size} must be a positive whole number of KiB`);
  return [device, `${bytes / 1024n}K`];
}

/** Is `device` the source of a mount in this mount namespace? (compared by real path) */
export async function isDeviceMounted(device: string): Promise<boolean> {
  const real = await realpath(device).catch(() => device);
  return (await mounts()).some((m) => m.source === device || m.source === real);
}

export async function resize2fs(device: string, o: ResizeOptions = {}): Promise<void> {
  const args = resize2fsArgs(device, o);
  if (!(await isDeviceMounted(device))) {
    // 0 clean, 1 corrected (2/3 only matter to a booted system); 4+ left errors
    const r = await runTool({ cmd: 'e2fsck', args: ['-f', '-y', device] }, device, { okExit: [1, 2, 3] });
    void r;
  }
  await runTool({ cmd: 'resize2fs', args }, device);
}
