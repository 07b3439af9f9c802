// The archive commands' pure parts: the newc/crc cpio encoding, base64 streamed across chunk
// boundaries, and checksums-out's lines as coreutils writes them.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/ops/archive/base64.js';
import { checksumLine, coreutilsName } from '../../src/ops/archive/checksums.js';
import { byteSum, type CpioEntry, CpioWriter, encodeCpioHeader } from '../../src/ops/archive/cpio-writer.js';

async function collect(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

async function* pieces(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const entry = (over: Partial<CpioEntry>): CpioEntry => ({
  name: Buffer.from('f'),
  ino: 1,
  mode: 0o100644,
  uid: 0,
  gid: 0,
  nlink: 1,
  mtime: 0,
  size: 0,
  devmajor: 0,
  devminor: 0,
  rdevmajor: 0,
  rdevminor: 0,
  ...over,
});

describe('cpio newc encoding', () => {
  it('a header is 110 bytes of upper-case hex; header and name are padded to 4', () => {
    const h = encodeCpioHeader(entry({ name: Buffer.from('ab'), mode: 0o40755, mtime: 0x6b13dbfa }), 'newc');
    expect(h.length).toBe(116); // 110 + "ab\0" = 113, padded to 116
    expect(h.subarray(0, 110).toString('latin1')).toBe(
      `070701${['1', '41ED', '0', '0', '1', '6B13DBFA', '0', '0', '0', '0', '0', '3', '0'].map((f) => f.padStart(8, '0')).join('')}`,
    );
    expect(h.subarray(110).equals(Buffer.from('ab\0\0\0\0', 'latin1'))).toBe(true);
  });

  it('crc: magic 070702 and the sum of the data bytes', () => {
    const h = encodeCpioHeader(entry({ size: 6, check: byteSum(0, Buffer.from('hello\n')) }), 'crc');
    expect(h.subarray(0, 6).toString()).toBe('070702');
    expect(h.subarray(102, 110).toString()).toBe('0000021E');
  });

  it('refuses what does not fit 8 hex digits', () => {
    expect(() => encodeCpioHeader(entry({ size: 2 ** 32 }), 'newc')).toThrow(/f: size 4294967296 does not fit the newc format/);
  });

  it('an archive GNU cpio lists; a short body is padded with zeros and reported', async () => {
    const w = new CpioWriter('newc');
    let short = 0;
    const bytes = await collect(
      (async function* () {
        yield* w.entry(entry({ name: Buffer.from('.'), mode: 0o40755, nlink: 2 }));
        yield* w.entry(entry({ name: Buffer.from('f'), ino: 2, size: 6 }), pieces(Buffer.from('hello\n'), 4));
        yield* w.entry(entry({ name: Buffer.from('g'), ino: 3, size: 5 }), pieces(Buffer.from('ab'), 1), (n) => {
          short = n;
        });
        yield* w.entry(entry({ name: Buffer.from('l'), ino: 4, mode: 0o120777, size: 1 }), pieces(Buffer.from('f'), 1));
        yield* w.finish();
      })(),
    );
    expect(short).toBe(3);
    expect(bytes.length % 512).toBe(0);
    const list = execFileSync('cpio', ['-it', '--quiet'], { input: bytes, encoding: 'utf8' });
    expect(list).toBe('.\nf\ng\nl\n');
  });
});

describe('base64, streamed', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff));
  const gnu = execFileSync('base64', [], { input: data, encoding: 'utf8' });

  it('encodes as GNU base64 whatever the chunk sizes', async () => {
    for (const size of [1, 7, 57, 1000]) expect((await collect(encodeBase64(pieces(data, size)))).toString(), `${size}`).toBe(gnu);
    expect((await collect(encodeBase64(pieces(Buffer.alloc(0), 1)))).length).toBe(0);
  });

  it('decodes whatever the chunk sizes, ignoring characters outside the alphabet', async () => {
    const noisy = Buffer.from(gnu.replace(/(.{10})/g, '$1 \r!'));
    for (const size of [1, 3, 5, 4096]) expect((await collect(decodeBase64(pieces(noisy, size), 'x'))).equals(data), `${size}`).toBe(true);
    expect((await collect(decodeBase64(pieces(Buffer.from('aGk=aGk='), 3), 'x'))).toString()).toBe('hihi');
  });

  it('refuses input that stops inside a group', async () => {
    await expect(collect(decodeBase64(pieces(Buffer.from('aGVsb'), 2), 'in.b64'))).rejects.toThrow(/in\.b64: invalid base64 input/);
  });
});

describe("checksums-out's lines", () => {
  it('escapes names as sha256sum does; cksum lines are CRC SIZE NAME', () => {
    expect(coreutilsName(Buffer.from('./plain')).escaped).toBe(false);
    expect(checksumLine('sha256', 'ab', 1, Buffer.from('./a\nb\\c\rd')).toString()).toBe('\\ab  ./a\\nb\\\\c\\rd\n');
    expect(checksumLine('CRC', '123', 6, Buffer.from('./a\nb')).toString()).toBe('123 6 ./a\nb\n');
  });
});
