// guestfish cpio-out: a guest directory as a newc (or crc) cpio archive, as
// `cd DIR && find | cpio -o -H newc` makes it: names as find prints them without the leading
// `./` (the top is `.`), every node type archived, links as links (never followed: the walk is
// guest-walk.ts's). Streamed to the host file or stdout; nothing is collected but the inode
// numbers of hard-linked files not yet fully seen.
//
// Where GNU cpio differs, on purpose: inode numbers are renumbered from 1 (as its
// --renumber-inodes does: a 64-bit inode cannot be cut to 32 bits without two files
// sharing one, which readers would take for hard links) with device numbers 0; a hard-linked
// file's data goes with its FIRST name and the later names have size 0 (GNU cpio puts the
// data with the last one, which needs the whole tree seen first); GNU cpio and the kernel's
// initramfs unpacker both make such later names links to the first.
import type { GuestFileReader, GuestNode } from '../../appliance/guest-files.js';
import { isDirNode, nodeType } from '../../appliance/guest-files.js';
import { JootError } from '../../core/errors.js';
import type { Writer } from '../../core/output.js';
import { S_IFBLK, S_IFCHR, S_IFLNK, S_IFREG } from '../../disk/fs/types.js';
import { handleChunks } from '../file-ops.js';
import { Progress, type ProgressStream } from '../progress.js';
import { devParts } from '../tar/walk.js';
import { transferError, type TransferSession, writeLocal } from '../transfer-ops.js';
import { byteSum, type CpioEntry, type CpioFormat, CpioWriter } from './cpio-writer.js';
import { guestPathOf, topDir, walkGuestTree } from './guest-walk.js';

const CHUNK = 256 * 1024;
const MAX32 = 0xffffffff;

export interface CpioIo {
  warn: (message: string) => void;
  stderr?: ProgressStream;
}

/** guestfish cpio-out: pack the guest directory into the host file `local` (`-`: `out`). */
export async function cpioOut(
  s: TransferSession,
  guestDir: string,
  local: string,
  out: Writer,
  format: CpioFormat,
  io: CpioIo,
): Promise<void> {
  const top = await topDir(s.reader, guestDir); // ENOENT / not a directory before the output exists
  const stopped = () => local === '-' && out.closed;
  await writeLocal(
    local,
    out,
    cpioStream(s.reader, guestDir, top, format, io, stopped),
    new Progress(`cpio-out ${guestDir}`, 0, io.stderr),
  );
}

/** The archive of the tree below `top`, chunk by chunk. */
async function* cpioStream(
  reader: GuestFileReader,
  guestDir: string,
  top: GuestNode,
  format: CpioFormat,
  io: CpioIo,
  stopped: () => boolean,
): AsyncGenerator<Buffer> {
  const cpio = new CpioWriter(format);
  let nextIno = 1;
  /** hard-linked files met so far: their number and how many of their names are still to come */
  const links = new Map<string, { ino: number; left: number }>();

  for await (const { node, rel } of walkGuestTree(reader, top, stopped)) {
    const st = node.stat;
    const t = nodeType(st);
    const display = guestPathOf(guestDir, rel);
    const name = rel.length > 2 ? rel.subarray(2) : rel; // './a/b' -> 'a/b'; '.' stays
    let ino = nextIno;
    let later = false;
    if (st.nlink > 1 && !isDirNode(st)) {
      const key = `${st.dev}:${st.ino}`;
      const seen = links.get(key);
      if (seen) {
        ino = seen.ino;
        later = true;
        if (--seen.left <= 0) links.delete(key);
      } else {
        links.set(key, { ino, left: st.nlink - 1 });
      }
    }
    if (!later) nextIno++;
    const [rdevmajor, rdevminor] = t === S_IFCHR || t === S_IFBLK ? devParts(Number(st.rdev)) : [0, 0];
    const entry: CpioEntry = {
      name,
      ino,
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      nlink: st.nlink,
      mtime: Math.min(MAX32, Math.max(0, Number(st.mtimeNs / 1_000_000_000n))),
      size: 0,
      devmajor: 0,
      devminor: 0,
      rdevmajor,
      rdevminor,
    };

    if (t === S_IFLNK) {
      const target = await reader.readlinkNode(node).catch((e: unknown) => {
        throw transferError(e, display);
      });
      yield* cpio.entry({ ...entry, size: target.length, check: byteSum(0, target) }, once(target));
      continue;
    }
    if (t !== S_IFREG || later) {
      yield* cpio.entry(entry);
      continue;
    }
    const fh = await reader.openNode(node).catch((e: unknown) => {
      throw transferError(e, display);
    });
    try {
      const size = (await fh.stat()).size;
      if (size > MAX32)
        throw new JootError('EUNSUPPORTED', `${display}: ${size} bytes: too large for the ${format} format (4 GiB - 1 at most)`);
      const read = () => readAll(handleChunks(fh, CHUNK), display);
      let check = 0;
      // the crc format's header carries the data's sum: a first pass computes it
      if (format === 'crc') for await (const c of read()) check = byteSum(check, c);
      yield* cpio.entry({ ...entry, size, check }, read(), (missing) =>
        io.warn(`${display}: File shrank by ${missing} bytes; padding with zeros`),
      );
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
  yield* cpio.finish();
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** A file's chunks, a read error named by its guest path. */
async function* readAll(chunks: AsyncIterable<Buffer>, display: string): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (e) {
    throw transferError(e, display);
  }
}
