// A streaming tar reader: yields one entry at a time with its data as an async iterable of
// chunks (never the whole member in memory). Understands POSIX ustar, pax extended headers
// ('x' per entry, 'g' global: path, linkpath, size, uid, gid, uname, gname, mtime, atime)
// and GNU long names ('L') and long link targets ('K'). Two zero blocks (or a clean end of
// the stream on a header boundary) end the archive.
import { JootError } from '../../core/errors.js';
import type { ByteSource } from './bytes.js';
import { BLOCK, T, decodeHeader, isZeroBlock, padding, parsePax, type TarHeader } from './header.js';

export interface TarEntry {
  header: TarHeader;
  /** The member's data; what is not read is skipped before the next entry. */
  body: AsyncIterable<Buffer>;
}

/** Meta-entries (pax, GNU long names) are read whole: cap them so a bad archive cannot make
 *  us allocate gigabytes. */
const MAX_META = 1024 * 1024;

async function readMeta(src: ByteSource, size: number): Promise<Buffer> {
  if (size > MAX_META) throw new JootError('EINVAL', `tar: extended header of ${size} bytes is too large`);
  const b = (await src.readExact(size)) ?? Buffer.alloc(0);
  if (b.length < size) throw new JootError('EINVAL', 'Unexpected EOF in archive');
  await src.skip(padding(size));
  return b;
}

function applyPax(h: TarHeader, pax: Record<string, string>): void {
  const num = (k: string): number | undefined => {
    const v = pax[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || !/^[0-9]+(\.[0-9]*)?$/.test(v)) throw new JootError('EINVAL', `tar: bad pax ${k} '${v}'`);
    return n;
  };
  if (pax.path !== undefined) h.name = Buffer.from(pax.path, 'latin1');
  if (pax.linkpath !== undefined) h.linkname = Buffer.from(pax.linkpath, 'latin1');
  h.size = num('size') ?? h.size;
  h.uid = num('uid') ?? h.uid;
  h.gid = num('gid') ?? h.gid;
  h.mtime = num('mtime') ?? h.mtime;
  h.atime = num('atime') ?? h.atime;
  if (pax.uname !== undefined) h.uname = Buffer.from(pax.uname, 'latin1').toString('utf8');
  if (pax.gname !== undefined) h.gname = Buffer.from(pax.gname, 'latin1').toString('utf8');
  h.devmajor = num('SCHILY.devmajor') ?? h.devmajor;
  h.devminor = num('SCHILY.devminor') ?? h.devminor;
  if (!Number.isSafeInteger(h.size)) throw new JootError('EINVAL', 'tar: member size out of range');
  h.pax = pax;
}

/** Members whose type carries no data even if the size field says otherwise. */
function hasData(type: string): boolean {
  return !(type === T.hardlink || type === T.symlink || type === T.char || type === T.block || type === T.dir || type === T.fifo);
}

export async function* readTar(src: ByteSource): AsyncGenerator<TarEntry> {
  let global: Record<string, string> = {};
  let local: Record<string, string> = {};
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  for (;;) {
    const block = await src.readExact(BLOCK);
    if (!block) return; // clean end of stream
    if (isZeroBlock(block)) {
      // end-of-archive marker (a second zero block may follow; whatever follows is ignored)
      return;
    }
    const h = decodeHeader(block);
    if (h.type === T.paxLocal || h.type === T.paxGlobal) {
      const recs = parsePax(await readMeta(src, h.size));
      if (h.type === T.paxGlobal) global = { ...global, ...recs };
      else local = { ...local, ...recs };
      continue;
    }
    if (h.type === T.gnuLongName || h.type === T.gnuLongLink) {
      const b = await readMeta(src, h.size);
      const nul = b.indexOf(0);
      const v = Buffer.from(nul === -1 ? b : b.subarray(0, nul));
      if (h.type === T.gnuLongName) longName = v;
      else longLink = v;
      continue;
    }
    if (longName) h.name = longName;
    if (longLink) h.linkname = longLink;
    applyPax(h, { ...global, ...local });
    local = {};
    longName = undefined;
    longLink = undefined;

    const size = hasData(h.type) ? h.size : 0;
    let left = size;
    async function* body(): AsyncGenerator<Buffer> {
      while (left > 0) {
        const c = await src.readSome(Math.min(left, 1 << 20));
        if (!c) throw new JootError('EINVAL', 'Unexpected EOF in archive');
        left -= c.length;
        yield c;
      }
    }
    yield { header: h, body: body() };
    await src.skip(left + padding(size));
  }
}
