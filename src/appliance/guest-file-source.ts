// A guest file as a ByteSource (the disk layer's reading interface), through the guest-rooted
// reader: what mount-loop probes and, on the userspace engine, reads a filesystem image from.
import { JootError } from '../core/errors.js';
import type { ByteSource } from '../disk/source.js';
import { outOfRange } from '../disk/source.js';
import type { GuestFileReader } from './guest-files.js';

/** Open `guestPath` (guest symlinks followed inside the guest) as a read-only ByteSource. */
export async function guestFileSource(reader: GuestFileReader, guestPath: string): Promise<ByteSource> {
  if (!(await reader.isFile(guestPath))) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
  const h = await reader.openFile(guestPath);
  const { size } = await h.stat();
  let closed = false;
  return {
    name: guestPath,
    size,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) throw outOfRange({ name: guestPath, size }, offset, length);
      const out = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await h.read(out, got, length - got, offset + got);
        if (bytesRead === 0) throw new JootError('EIO', `${guestPath}: the file ended at ${offset + got} bytes while reading`);
        got += bytesRead;
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await h.close();
    },
  };
}
