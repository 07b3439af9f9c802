// The squashfs block decoders written here (xz/LZMA2 with the x86 filter, legacy lzma, lz4, lzo): round trips
// through the real xz and lz4 tools, and hostile inputs (bombs that would expand past the block
// size, truncation, bit flips) that must end in the decoder's own error, in bounded time.
// lzo's round trip is the sqfs-lzo fixture (fs-squashfs unit and diff tests).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CodecError, decodeBlock } from '../../src/disk/fs/squashfs/codecs.js';
import { lz4Decompress } from '../../src/disk/fs/squashfs/lz4.js';
import { lzoDecompress } from '../../src/disk/fs/squashfs/lzo.js';
import { LzmaError, lzmaAloneDecompress, XzUnsupported, xzDecompress } from '../../src/disk/fs/squashfs/xz.js';

const XZ = 4;
const LZMA = 2;
const sample = (): Buffer =>
  Buffer.concat([Buffer.from('squashfs '.repeat(3000)), randomBytes(20_000), Buffer.alloc(50_000), Buffer.from('tail\n')]);
const tool = (cmd: string, args: string[], input: Buffer): Buffer => execFileSync(cmd, args, { input, maxBuffer: 1 << 26 });

/** The first block of an lz4 frame (the CLI writes frames; squashfs stores raw blocks). */
function lz4Block(frame: Buffer): Buffer {
  let at = 4 + 2 + (frame[4]! & 0x08 ? 8 : 0) + 1;
  const size = frame.readUInt32LE(at);
  at += 4;
  expect(size & 0x80000000).toBe(0);
  return frame.subarray(at, at + size);
}

describe('squashfs codecs: round trips', () => {
  it('xz (CRC32, CRC64, none; presets 0-9e; lc/lp/pb) decodes to the input', () => {
    const input = sample();
    for (const args of [['--check=crc32', '-6'], ['--check=crc64', '-9e'], ['--check=none', '-0'], ['--lzma2=preset=6,lc=0,lp=4,pb=4']]) {
      const z = tool('xz', ['-zc', ...args], input);
      expect(xzDecompress(z, input.length).equals(input)).toBe(true);
    }
    expect(xzDecompress(tool('xz', ['-zc'], Buffer.alloc(0)), 10).length).toBe(0);
  });

  it('legacy lzma (.lzma header, with and without a known size) decodes to the input', () => {
    const input = sample();
    const z = tool('xz', ['-zc', '--format=lzma'], input);
    expect(lzmaAloneDecompress(z, input.length).equals(input)).toBe(true);
    // squashfs-tools writes the size into the header; the xz tool leaves it unknown (an end marker)
    const sized = Buffer.from(z);
    sized.writeBigUInt64LE(BigInt(input.length), 5);
    expect(decodeBlock(LZMA, sized, input.length).equals(input)).toBe(true);
  });

  it('lz4 blocks decode to the input', () => {
    const input = sample().subarray(0, 60_000);
    for (const args of [['-1'], ['-9']]) {
      const z = lz4Block(tool('lz4', ['-c', '-B4', ...args], input));
      expect(lz4Decompress(z, 65536).equals(input)).toBe(true);
    }
  });

  it('xz with the x86 branch filter (mksquashfs -Xbcj x86) decodes to the input', () => {
    const input = readFileSync(process.execPath).subarray(0, 1 << 20);
    for (const x86 of ['--x86', '--x86=start=4096']) {
      const z = tool('xz', ['-zc', x86, '--lzma2'], input);
      expect(xzDecompress(z, input.length).equals(input)).toBe(true);
    }
  });

  it('another branch filter is named as unsupported', () => {
    const z = tool('xz', ['-zc', '--arm', '--lzma2'], sample());
    expect(() => xzDecompress(z, 1 << 20)).toThrow(XzUnsupported);
    expect(() => xzDecompress(z, 1 << 20)).toThrow(/ARM BCJ/);
  });
});

describe('squashfs codecs: hostile blocks', () => {
  it('bombs stop at the block size', () => {
    const zeros = Buffer.alloc(8 << 20);
    const xz = tool('xz', ['-zc'], zeros);
    const lzma = tool('xz', ['-zc', '--format=lzma'], zeros);
    const t0 = Date.now();
    expect(() => decodeBlock(XZ, xz, 131072)).toThrow(CodecError);
    expect(() => decodeBlock(LZMA, lzma, 131072)).toThrow(CodecError);
    // lz4: one literal, then a match of offset 1 and 15 + 255 * 2000 bytes
    const lz4 = Buffer.concat([Buffer.from([0x1f, 0x61, 1, 0]), Buffer.alloc(2000, 255), Buffer.from([0])]);
    expect(() => lz4Decompress(lz4, 131072)).toThrow(/past its size/);
    // lzo: four literals, then an M3 match whose length runs on through 4000 zero bytes
    const lzo = Buffer.concat([Buffer.from([21, 0x61, 0x61, 0x61, 0x61, 0x20]), Buffer.alloc(4000), Buffer.from([1, 0, 0, 0x11, 0, 0])]);
    expect(() => lzoDecompress(lzo, 131072)).toThrow(/past its size/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('truncated and bit-flipped blocks give the codec error, never another exception', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const input = sample();
    const blocks: [number, Buffer][] = [
      [XZ, tool('xz', ['-zc'], input)],
      [LZMA, tool('xz', ['-zc', '--format=lzma'], input)],
      [5, lz4Block(tool('lz4', ['-c', '-B4'], input.subarray(0, 60_000)))],
    ];
    for (const [comp, good] of blocks) {
      for (let round = 0; round < 150; round++) {
        const bad = Buffer.from(good.subarray(0, round % 3 === 0 ? rand(good.length) : good.length));
        for (let i = 0, n = 1 + rand(8); i < n && bad.length > 0; i++) bad[rand(bad.length)] = rand(256);
        try {
          decodeBlock(comp, bad, input.length);
        } catch (e) {
          if (!(e instanceof CodecError)) throw new Error(`codec ${comp} round ${round}: ${String(e)}`);
        }
      }
    }
  });

  it('errors are the decoders own', () => {
    expect(() => xzDecompress(Buffer.from('not xz at all'), 100)).toThrow(LzmaError);
  });
});
