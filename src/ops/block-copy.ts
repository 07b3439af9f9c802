// guestfish's copy-device-to-device, copy-device-to-file, copy-file-to-device,
// copy-file-to-file and dd: bytes from a device or guest file to a device or guest file, at
// offsets, in 1 MiB chunks (no size cap, no whole-copy buffer).
import type { FileHandle } from 'node:fs/promises';
import type { Session } from '../appliance/session.js';
import { JootError } from '../core/errors.js';
import { type ByteReader, CHUNK, checkNonNegative, isZero, openGuestFileForWrite, writeAt, withDeviceWriter } from './block-io.js';

export interface CopyOptions {
  srcoffset?: number;
  destoffset?: number;
  size?: number;
  sparse?: boolean;
  append?: boolean;
}

/** guestfish's sparse copy skips blocks of zeroes this big. */
const SPARSE_BLOCK = 64 * 1024;

/** The bytes to copy: `size`, or what is left of the source after `srcoffset`. */
function copyLength(src: ByteReader, srcName: string, o: CopyOptions): { from: number; length: number } {
  const from = checkNonNegative(o.srcoffset ?? 0, 'srcoffset');
  if (o.size === undefined) {
    if (from > src.size) throw new JootError('EINVAL', `${srcName}: srcoffset ${from} is beyond its end (${src.size} bytes)`);
    return { from, length: src.size - from };
  }
  const length = checkNonNegative(o.size, 'size');
  if (from + length > src.size)
    throw new JootError('EINVAL', `${srcName}: only ${Math.max(0, src.size - from)} bytes from offset ${from} (size:${length} asked for)`);
  return { from, length };
}

/** Pump `length` bytes of `src` from `from` into `write(buf, offsetInCopy)`. */
async function pump(
  src: ByteReader,
  from: number,
  length: number,
  sparse: boolean,
  write: (b: Buffer, at: number) => Promise<void>,
): Promise<void> {
  for (let done = 0; done < length; ) {
    const b = await src.read(from + done, Math.min(CHUNK, length - done));
    if (b.length === 0) throw new JootError('EIO', `unexpected end of the source after ${done} bytes`);
    if (!sparse) await write(b, done);
    else {
      for (let i = 0; i < b.length; i += SPARSE_BLOCK) {
        const part = b.subarray(i, i + SPARSE_BLOCK);
        if (!isZero(part)) await write(part, done + i);
      }
    }
    done += b.length;
  }
}

/** Copy into a guest file: created if missing, truncated unless `append` (then written at its end). */
export async function copyToFile(session: Session, src: ByteReader, srcName: string, dest: string, o: CopyOptions): Promise<void> {
  const { from, length } = copyLength(src, srcName, o);
  const destoffset = checkNonNegative(o.destoffset ?? 0, 'destoffset');
  const fh: FileHandle = await openGuestFileForWrite(session, dest, { truncate: !o.append });
  try {
    const base = o.append ? (await fh.stat()).size + destoffset : destoffset;
    await pump(src, from, length, o.sparse ?? false, (b, at) => writeAt(fh, b, base + at, dest));
    // skipped zeroes at the end still count: the file reaches the copy's end
    if ((await fh.stat()).size < base + length) await fh.truncate(base + length);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Copy onto a device of the session (the kernel engine); the copy must fit. */
export async function copyToDevice(session: Session, src: ByteReader, srcName: string, dest: string, o: CopyOptions): Promise<void> {
  if (o.append) throw new JootError('EINVAL', `${dest}: append cannot be used with a device`);
  const { from, length } = copyLength(src, srcName, o);
  const destoffset = checkNonNegative(o.destoffset ?? 0, 'destoffset');
  await withDeviceWriter(session, dest, async (w) => {
    if (destoffset + length > w.size)
      throw new JootError('EINVAL', `${w.name}: ${length} bytes at offset ${destoffset} do not fit (the device has ${w.size} bytes)`);
    await pump(src, from, length, o.sparse ?? false, (b, at) => writeAt(w.fh, b, destoffset + at, w.name));
  });
}
