// Bytes at offsets, for the block commands (pread, pwrite, copy-*-to-*, download-offset,
// upload-offset, fill): a guest file or a session device as a source or destination.
//
// Guest files go through the guest-rooted reader and writer, as upload does (a final guest
// symlink is followed inside the guest, never out of it; the file opened is a regular file).
// Devices are read through Session.openDevice (both engines) and written through the layout
// editor's writeRaw (the kernel engine; a read-only drive is refused).
import { constants as fsc, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Session } from '../appliance/session.js';
import { guestFsError, lstatOrUndefined, TRANSFER_WORDS, WRITE_FLAGS } from '../appliance/guest-path.js';
import { JootError } from '../core/errors.js';
import { openGuestFile } from './file-ops.js';

export const CHUNK = 1024 * 1024;

/**
 * guestfish's Dev_or_Path: a name under /dev/ that is a device of the session (any other
 * /dev/ name is a guest file, a guest's own /dev node), as download decides.
 */
export async function isSessionDevice(session: Session, name: string): Promise<boolean> {
  if (!name.startsWith('/dev/')) return false;
  const dev = await session.openDevice(name).catch((e: unknown) => {
    if (e instanceof JootError && e.code === 'ENOENT') return undefined;
    throw e;
  });
  await dev?.close();
  return dev !== undefined;
}

/** Where bytes come from: a size and positioned reads. */
export interface ByteReader {
  readonly size: number;
  /** up to `length` bytes at `offset` (fewer only at the end) */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A device of the session, read-only, on either engine. */
export async function openDeviceReader(session: Session, dev: string): Promise<ByteReader> {
  const src = await session.openDevice(dev);
  return {
    size: src.size,
    read: (o, l) => src.read(o, Math.max(0, Math.min(l, src.size - o))),
    close: () => src.close(),
  };
}

/** A guest file (a final symlink followed inside the guest), read-only, on either engine. */
export async function openFileReader(session: Session, path: string): Promise<ByteReader> {
  const fh = await openGuestFile(session.reader, path);
  try {
    const size = (await fh.stat()).size;
    return {
      size,
      async read(offset, length) {
        const want = Math.max(0, Math.min(length, size - offset));
        const buf = Buffer.alloc(want);
        let got = 0;
        while (got < want) {
          const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

/** A Dev_or_Path source. */
export async function openReader(session: Session, name: string): Promise<ByteReader> {
  return (await isSessionDevice(session, name)) ? openDeviceReader(session, name) : openFileReader(session, name);
}

/**
 * A guest file opened for positioned writes: created (0666 & umask) if missing (refused with
 * `mustExist`), truncated only with `truncate`. Refused in a read-only session (the writer says so).
 */
export async function openGuestFileForWrite(
  session: Session,
  path: string,
  opts: { truncate?: boolean; mustExist?: boolean } = {},
): Promise<FileHandle> {
  if (path.endsWith('/')) throw new JootError('EINVAL', `${path}: Is a directory`);
  let host = await session.writer.hostPathForCreate(path);
  let st = await lstatOrUndefined(host, path, TRANSFER_WORDS);
  if (st?.isSymbolicLink()) {
    host = await session.reader.resolve(path); // inside the guest; throws if dangling
    st = await lstatOrUndefined(host, path, TRANSFER_WORDS);
  }
  if (!st && opts.mustExist) throw new JootError('ENOENT', `${path}: No such file or directory`);
  if (st?.isDirectory()) throw new JootError('EINVAL', `${path}: Is a directory`);
  if (st && !st.isFile()) throw new JootError('EINVAL', `${path}: not a regular file`);
  let fh: FileHandle;
  try {
    fh = await fsp.open(host, WRITE_FLAGS | (opts.truncate ? fsc.O_TRUNC : 0), 0o666);
  } catch (e) {
    throw guestFsError(e, path, TRANSFER_WORDS);
  }
  try {
    if (!(await fh.stat()).isFile()) throw new JootError('EINVAL', `${path}: not a regular file`);
    return fh;
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

/** Write all of `buf` at `offset`; errors name `display`. */
export async function writeAt(fh: FileHandle, buf: Buffer, offset: number, display: string): Promise<void> {
  let done = 0;
  try {
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, offset + done);
      if (bytesWritten === 0) throw new JootError('EIO', `${display}: short write`);
      done += bytesWritten;
    }
  } catch (e) {
    if (e instanceof JootError) throw e;
    throw guestFsError(e, display, TRANSFER_WORDS);
  }
}

/**
 * Run `fn` with a guest device opened for writing at offsets (the kernel engine; see the
 * editor's writeRaw). Writes past the device's end are refused before anything is written.
 */
export async function withDeviceWriter<T>(
  session: Session,
  dev: string,
  fn: (w: { fh: FileHandle; size: number; name: string }) => Promise<T>,
): Promise<T> {
  return session.layout.writeRaw(dev, async (t) => {
    const fh = await fsp.open(t.host, fsc.O_RDWR | fsc.O_NOCTTY);
    try {
      const size = Number(await session.layout.blockdevGetsize64(t.canonical));
      const r = await fn({ fh, size, name: t.canonical });
      await fh.sync();
      return r;
    } finally {
      await fh.close().catch(() => undefined);
    }
  });
}

/** Check a byte offset or count argument (guest-facing sizes are never trusted). */
export function checkNonNegative(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new JootError('EINVAL', `${what}: ${value}: must be a whole number of bytes, 0 or more`);
  return value;
}

export function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
