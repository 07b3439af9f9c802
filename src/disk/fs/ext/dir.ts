// Directory entries: linear directory blocks, htree directories read linearly (their index
// blocks look like one empty entry spanning the block, and the root's index hides inside the
// '..' entry), and inline directories (a parent inode number, then entries in i_block and in
// system.data). Every entry is checked as the kernel's ext4_check_dir_entry does.
import type { ExtContext } from './context.js';

export interface RawDirent {
  name: Buffer;
  ino: number;
  /** the whole record (an encrypted casefolded directory keeps each name's hash after it) */
  rec: Buffer;
  /** the directory's logical block holding it (set by the caller; inline directories have none) */
  lblk?: number;
}

/** Entries of one directory block (or inline region) `buf`, pushed onto `out`. */
export function parseDirEntries(ctx: ExtContext, dirIno: number, buf: Buffer, where: string, out: RawDirent[]): void {
  const big = ctx.sb.blockSize >= 65536;
  let o = 0;
  while (o + 8 <= buf.length) {
    const ino = buf.readUInt32LE(o);
    let recLen = buf.readUInt16LE(o + 4);
    if (big && (recLen === 65535 || recLen === 0)) recLen = 65536;
    const nameLen = buf[o + 6]!;
    const bad = (why: string) => ctx.error('EFORMAT', `directory inode ${dirIno}: bad entry at byte ${o} of ${where}: ${why}`);
    if (recLen < 12 && !(recLen === 8 && nameLen === 0 && o + 8 === buf.length)) throw bad(`record length ${recLen}`);
    if (recLen % 4 !== 0) throw bad(`record length ${recLen} is not a multiple of 4`);
    if (recLen < 8 + nameLen) throw bad(`name of ${nameLen} bytes does not fit a record of ${recLen}`);
    if (o + recLen > buf.length) throw bad(`record of ${recLen} bytes runs past the end`);
    if (ino > ctx.sb.inodesCount) throw bad(`inode ${ino} is out of range`);
    if (ino !== 0 && nameLen > 0) out.push({ name: buf.subarray(o + 8, o + 8 + nameLen), ino, rec: buf.subarray(o, o + recLen) });
    o += recLen;
  }
}
