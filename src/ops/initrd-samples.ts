// Small initrds for records' tests and the unit tests: newc cpio archives built from a list of
// members (the layout `cpio -o -H newc` writes), alone or in the early-microcode form.
import { nodeZlib } from '../core/lazy-node.js';
import { crc32 } from '../disk/crc32.js';

export interface SampleMember {
  readonly name: string;
  /** file content (a directory when absent); a symlink's target with `symlink` */
  readonly data?: string | Uint8Array;
  readonly symlink?: boolean;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;
const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** A newc cpio archive of `members`, with its TRAILER!!! (not padded to 512 bytes). */
export function newcArchive(members: readonly SampleMember[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const add = (name: string, mode: number, data: Buffer) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
    parts.push(header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const m of members) {
    const data = m.data === undefined ? Buffer.alloc(0) : Buffer.from(m.data);
    const mode = m.symlink ? 0o120777 : m.data === undefined ? 0o40755 : 0o100644;
    add(m.name, mode, data);
  }
  add('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** gzip with stored (level 0) blocks: the archive's bytes stay readable, few bytes are high. */
export function gzipStored(data: Buffer): Buffer {
  return nodeZlib().gzipSync(data, { level: 0 });
}

/** Debian's and Fedora's layout: an uncompressed early cpio, then the main one compressed. */
export function earlyMicrocode(early: Buffer, main: Buffer): Buffer {
  return Buffer.concat([early, Buffer.alloc(pad4(early.length)), main]);
}

const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let c = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) c |= 0x80;
    out.push(c);
  } while (n > 0);
  return Buffer.from(out);
}

/** An .xz stream (CRC32 check) whose LZMA2 data is uncompressed chunks: xz's format without an encoder. */
export function xzStored(data: Buffer): Buffer {
  const flags = Buffer.from([0x00, 0x01]);
  const streamHeader = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), flags, le32(crc32(flags))]);
  const bh = Buffer.from([0x02, 0x00, 0x21, 0x01, 0x00, 0x00, 0x00, 0x00]); // 1 filter: LZMA2, 4 KiB dict
  const blockHeader = Buffer.concat([bh, le32(crc32(bh))]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 0x10000) {
    const part = data.subarray(at, at + 0x10000);
    chunks.push(Buffer.from([at === 0 ? 0x01 : 0x02, (part.length - 1) >> 8, (part.length - 1) & 0xff]), part);
  }
  chunks.push(Buffer.from([0x00]));
  const compressed = Buffer.concat(chunks);
  const unpadded = blockHeader.length + compressed.length + 4;
  const block = Buffer.concat([blockHeader, compressed, Buffer.alloc(pad4(blockHeader.length + compressed.length)), le32(crc32(data))]);
  const indexBody = Buffer.concat([Buffer.from([0x00]), varint(1), varint(unpadded), varint(data.length)]);
  const indexPadded = Buffer.concat([indexBody, Buffer.alloc(pad4(indexBody.length))]);
  const index = Buffer.concat([indexPadded, le32(crc32(indexPadded))]);
  const backward = Buffer.concat([le32(index.length / 4 - 1), flags]);
  const footer = Buffer.concat([le32(crc32(backward)), backward, Buffer.from('YZ', 'latin1')]);
  return Buffer.concat([streamHeader, block, index, footer]);
}

/** A zstd frame of raw (uncompressed) blocks: zstd's format without an encoder. */
export function zstdStored(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])]; // no FCS, 8 MiB window
  let at = 0;
  do {
    const part = data.subarray(at, at + 0x20000);
    at += part.length;
    const header = (part.length << 3) | (at >= data.length ? 1 : 0); // raw block, last flag
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), part);
  } while (at < data.length);
  return Buffer.concat(parts);
}
