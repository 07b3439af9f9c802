// The one shape every layer of the userspace engine reads through: a byte source with a size
// that reads any range. An image (raw file, qcow2, an NBD export), a partition, an LV, an md
// array, an opened LUKS volume: each is a ByteSource over the ones below it. Nothing here
// spawns a process or needs root.
import { closeSync, constants, fstatSync, openSync, read, readFileSync, readSync } from 'node:fs';
import { JootError } from '../core/errors.js';

export interface ByteSource {
  /** what messages name: the image path as given, or the canonical guest device name */
  readonly name: string;
  /** bytes (a safe integer: a size beyond 2^53 is refused where it is read) */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; a range past `size` is an EIO JootError naming the source. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Where a source can, the same bytes straight into `out` at `at` (no buffer of its own to copy from). */
  readInto?(offset: number, length: number, out: Buffer, at: number): Promise<void>;
  /** Release what the source holds (file handles, helper processes). Idempotent. */
  close(): Promise<void>;
}

/** out[at, at+length) ← `src`'s bytes from `offset`: straight in where the source can, else copied. */
export async function readInto(src: ByteSource, offset: number, length: number, out: Buffer, at: number): Promise<void> {
  if (src.readInto) return src.readInto(offset, length, out, at);
  (await src.read(offset, length)).copy(out, at);
}

/** The error for a read outside a source (guest metadata pointing past the end). */
export function outOfRange(src: { name: string; size: number }, offset: number, length: number): JootError {
  return new JootError('EIO', `${src.name}: read of ${length} bytes at offset ${offset} is outside the device (size ${src.size})`);
}

export function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw outOfRange(src, offset, length);
  }
}

// While a source is exposed to the kernel from this process (an NBD server behind nbdfuse),
// a read of the exposed device by this very process parks a libuv pool thread in the kernel
// until the server answers; with every pool thread parked so, an async file read by the
// server would wait for a free one forever. Reads of host files are synchronous then: a
// host file never waits on the exposure.
let syncHolds = 0;

/** Make FileSource reads synchronous until the returned release is called. */
export function holdSyncFileReads(): () => void {
  syncHolds++;
  let held = true;
  return () => {
    if (held) syncHolds--;
    held = false;
  };
}

/** A host file read as it is (raw images, qcow2 data). Holes read as zeros; past the end is an error. */
// A plain descriptor, not a FileHandle: node:fs/promises (with the readline and watcher modules it
// loads) costs a short run's start more than its whole scan. Opened synchronously: an open and
// an fstat cost less than a round trip through libuv's pool (and its start).
export class FileSource implements ByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private fd: number | undefined,
    /** a regular file or a block device */
    readonly kind: 'file' | 'block' = 'file',
  ) {}

  /** Open `path` read-only; `name` is what messages call it (default: the path). */
  static async open(path: string, name = path): Promise<FileSource> {
    // O_NONBLOCK: a name swapped for a FIFO after it was checked must not hang the open
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice()) throw new JootError('EINVAL', `${name}: not a regular file or block device`);
      let size = st.size;
      if (st.isBlockDevice()) {
        // a block device's stat size is 0: sysfs has it, in 512-byte sectors
        const dev = `${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
        size = Number(readFileSync(`/sys/dev/block/${dev}/size`, 'utf8').trim()) * 512;
      }
      return new FileSource(name, size, fd, st.isBlockDevice() ? 'block' : 'file');
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const buf = Buffer.allocUnsafe(length);
    await this.readInto(offset, length, buf, 0);
    return buf;
  }

  async readInto(offset: number, length: number, out: Buffer, at: number): Promise<void> {
    checkRange(this, offset, length);
    let done = 0;
    while (done < length) {
      const fd = this.fd;
      if (fd === undefined) throw new JootError('ESTATE', `${this.name}: closed`);
      const bytesRead =
        syncHolds > 0
          ? readSync(fd, out, at + done, length - done, offset + done)
          : await this.readAsync(fd, out, at + done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // the file shrank under us: the rest reads as zeros
    if (done < length) out.fill(0, at + done, at + length);
  }

  // reads in libuv's pool: the descriptor is closed once they are done (as a FileHandle does),
  // so that none reads another file that got its number meanwhile
  private inFlight = 0;
  private drained: (() => void) | undefined;

  private readAsync(fd: number, out: Buffer, at: number, length: number, position: number): Promise<number> {
    this.inFlight++;
    return new Promise<number>((resolve, reject) =>
      read(fd, out, at, length, position, (err, n) => {
        if (--this.inFlight === 0) this.drained?.();
        if (err) reject(err);
        else resolve(n);
      }),
    );
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    // in this thread, as the open: an async close costs a trip through libuv's pool (a few % of an inspection)
    closeSync(fd);
  }
}

/** A byte range of another source (a partition, a linear LV): reads are checked against the range. */
export class SliceSource implements ByteSource {
  constructor(
    private readonly base: ByteSource,
    private readonly offset: number,
    readonly size: number,
    readonly name: string,
  ) {
    if (offset < 0 || size < 0 || offset + size > base.size) {
      throw new JootError('EFORMAT', `${name}: lies outside ${base.name} (bytes ${offset}+${size}, device size ${base.size})`);
    }
  }

  read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    return this.base.read(this.offset + offset, length);
  }

  readInto(offset: number, length: number, out: Buffer, at: number): Promise<void> {
    checkRange(this, offset, length);
    return readInto(this.base, this.offset + offset, length, out, at);
  }

  /** A slice does not own its base. */
  async close(): Promise<void> {}
}
