// The plumbing of tar-out and tar-in: host file or stdio <-> compression filter <-> tar
// stream <-> guest tree. Host paths here are the user's (the tar file, relative to the
// current directory); guest paths only ever go through walk.ts and extract.ts. The tar
// producer and the filter's consumer run concurrently; when one side fails the other is
// stopped, so a dead compressor or a closed stdout can never hang the command.
import { constants as fsc, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { JootError } from '../../core/errors.js';
import type { Writer } from '../../core/output.js';
import { Progress, type ProgressStream } from '../progress.js';
import { chunksOf, transferError, type TransferSession } from '../transfer-ops.js';
import { ByteSource } from './bytes.js';
import { compressor, decompressor, sniff, type Compression, type Filter } from './compress.js';
import { extractToGuest } from './extract.js';
import { BLOCK, decodeHeader } from './header.js';
import { guestOwners, numericOwners } from './owners.js';
import { readTar } from './reader.js';
import { packGuestDir } from './walk.js';
import { TarWriter } from './writer.js';
import type { AttrOptions } from './xattrs.js';

const O_NOCTTY = fsc.O_NOCTTY ?? 0;

export interface TarIo {
  stdin?: AsyncIterable<Buffer | string>;
  stderr?: ProgressStream;
  warn: (message: string) => void;
}

export interface TarOutOptions {
  compress: Compression;
  numericOwner: boolean;
  excludes: readonly string[];
  /** xattrs / selinux / acls: archived as GNU tar --xattrs / --selinux / --acls do */
  attrs?: AttrOptions;
}

async function writeAll(fh: FileHandle, b: Buffer, display: string): Promise<void> {
  let off = 0;
  try {
    while (off < b.length) off += (await fh.write(b, off, b.length - off, null)).bytesWritten;
  } catch (e) {
    throw transferError(e, display);
  }
}

/** Run `produce` into a filter whose output goes to `sink`, both at once. */
async function throughFilter(filter: Filter, produce: () => Promise<void>, sink: (b: Buffer) => Promise<void>): Promise<void> {
  let failed: unknown;
  const stop = (e: unknown): never => {
    failed ??= e;
    throw e;
  };
  // the first failure on either side; the other side is then stopped with abort()
  const consume = (async () => {
    for await (const c of filter.output) await sink(c);
    await filter.wait();
  })().catch(stop);
  const producing = (async () => {
    await produce();
    await filter.end();
  })().catch(stop);
  try {
    await Promise.all([producing, consume]);
  } catch {
    // a compressor that died on its own explains a broken pipe better than the pipe does
    const own = await ownFailure(filter);
    filter.abort();
    await Promise.allSettled([producing, consume]);
    throw own ?? failed;
  }
}

/**
 * The error a (de)compressor reports of its own within a moment, if any: a filter that died
 * on its own (bad data, a broken pipe it caused) explains the failure better than the pipe does.
 */
function ownFailure(filter: { wait(): Promise<unknown> }): Promise<unknown> {
  return Promise.race([
    filter.wait().then(
      () => undefined,
      (x: unknown) => x,
    ),
    new Promise((r) => setTimeout(r, 200, undefined)),
  ]);
}

/** guestfish tar-out: pack the guest directory into the host file `local` (`-`: `out`). */
export async function tarOut(s: TransferSession, guestDir: string, local: string, out: Writer, o: TarOutOptions, io: TarIo): Promise<void> {
  const st = await s.reader.stat(guestDir); // ENOENT etc. before the output is created
  if (!st.isDirectory) throw new JootError('EINVAL', `${guestDir}: Not a directory`);
  const owners = o.numericOwner ? numericOwners : await guestOwners(s.reader);
  const filter = await compressor(o.compress); // a missing program fails before the output exists

  let fh: FileHandle | undefined;
  if (local !== '-') {
    try {
      fh = await fsp.open(path.resolve(local), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | O_NOCTTY, 0o666);
    } catch (e) {
      filter?.abort();
      throw transferError(e, local);
    }
  }
  const sink = fh ? (b: Buffer) => writeAll(fh, b, local) : (b: Buffer) => out.write(b);
  const stopped = () => local === '-' && out.closed;
  try {
    const produce = async (tarSink: (b: Buffer) => Promise<void>): Promise<void> => {
      const tar = new TarWriter(tarSink);
      await packGuestDir(s.reader, guestDir, tar, {
        excludes: o.excludes,
        owners,
        warn: io.warn,
        stderr: io.stderr,
        stopped,
        attrs: o.attrs,
        // writeAll and StdoutWriter resolve once the bytes are written; a filter's write may not
        reuseChunks: !filter,
      });
      await tar.finish();
    };
    if (filter) await throughFilter(filter, () => produce((b) => filter.write(b)), sink);
    else await produce(sink);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** The archive's bytes from a host file (or stdin for `-`), counted on a progress bar. */
async function* archiveBytes(local: string, io: TarIo): AsyncGenerator<Buffer | string> {
  if (local === '-') {
    yield* io.stdin ?? process.stdin;
    return;
  }
  let fh: FileHandle;
  try {
    fh = await fsp.open(path.resolve(local), fsc.O_RDONLY | O_NOCTTY);
  } catch (e) {
    throw transferError(e, local);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new JootError('EINVAL', `${local}: Is a directory`);
    const progress = new Progress(`tar-in ${local}`, st.isFile() ? st.size : 0, io.stderr);
    try {
      for await (const b of chunksOf(fh, local)) {
        progress.add(b.length);
        yield b;
      }
    } finally {
      progress.finish();
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function looksLikeTar(head: Buffer): boolean {
  if (head.length < BLOCK) return head.length === 0 || head.every((b) => b === 0);
  try {
    decodeHeader(head);
    return true;
  } catch {
    return head.every((b) => b === 0);
  }
}

/** guestfish tar-in: unpack the host tar file `local` (`-`: stdin) into the guest directory. */
export async function tarIn(
  s: TransferSession,
  local: string,
  guestDir: string,
  o: { compress: Compression; attrs?: AttrOptions },
  io: TarIo,
): Promise<void> {
  await s.writer.hostPathForWrite(guestDir); // a read-only session stops here, before any reading
  if (!(await s.reader.isDir(guestDir))) throw new JootError('EINVAL', `${guestDir}: Not a directory`);
  const owners = await guestOwners(s.reader);
  const filter = await decompressor(o.compress);
  const raw = archiveBytes(local, io);

  let pumping: Promise<void> | undefined;
  let bytes: AsyncIterable<Buffer | string> = raw;
  if (filter) {
    pumping = (async () => {
      for await (const c of raw) await filter.write(typeof c === 'string' ? Buffer.from(c) : c);
      await filter.end();
    })();
    pumping.catch(() => filter.abort());
    bytes = filter.output;
  }
  const src = new ByteSource(bytes);
  try {
    const head = await src.peek(BLOCK);
    if (!looksLikeTar(head)) {
      const kind = sniff(head);
      if (kind && !filter) throw new JootError('EINVAL', `${local}: the archive looks ${kind}-compressed: add compress:${kind}`);
      throw new JootError('EINVAL', `${local}: This does not look like a tar archive`);
    }
    await extractToGuest(s.reader, guestDir, readTar(src), {
      owners,
      sameOwner: process.getuid?.() === 0,
      warn: io.warn,
      attrs: o.attrs,
    });
    if (filter) {
      await src.drain(); // let the decompressor finish, so it can report a bad trailer
      await pumping;
      await filter.wait();
    }
  } catch (e) {
    if (!filter) throw e;
    // A decompressor that died on its own (bad data) explains "Unexpected EOF" better: give
    // it a moment to report before stopping it.
    const own = await ownFailure(filter);
    filter.abort();
    await pumping?.catch(() => undefined);
    throw own ?? e;
  } finally {
    if (local !== '-') await src.close().catch(() => undefined);
  }
}
