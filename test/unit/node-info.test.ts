// The text formats of hexdump, strings and wc (src/ops/node-info.ts) against the host's own
// hexdump -C, strings -a and wc, on the same bytes: guestfish runs those tools in its appliance.
import { execFileSync } from 'node:child_process';
import { promises as fsp, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GuestFileReader } from '../../src/appliance/guest-files.js';
import { fileStrings, hexDump, wordCount } from '../../src/ops/node-info.js';

/** the appliance's tools run in the C locale */
const C = { env: { ...process.env, LC_ALL: 'C' } };

const dir = mkdtempSync(join(tmpdir(), 'node-info-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A reader whose guest path is a host file name in `dir` (only openFile is used). */
const reader = { openFile: (p: string) => fsp.open(join(dir, p), 'r') } as unknown as GuestFileReader;

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
};

/** Bytes with repeated 16-byte lines, text runs of several lengths, tabs, high bytes and a short tail. */
function sample(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const r = x >> 16;
    b[i] = i % 97 < 40 ? 0 : r % 3 === 0 ? 0x20 + (r % 95) : r % 7 === 0 ? 9 : r % 256;
  }
  return b;
}

const cases = [0, 1, 15, 16, 17, 100, 4096, 70_001].map((size, i) => ({ size, name: `f${i}`, data: sample(i + 1, size) }));
for (const c of cases) writeFileSync(join(dir, c.name), c.data);

describe('node-info text formats', () => {
  it.skipIf(!has('hexdump'))('hexdump is hexdump -C', async () => {
    for (const c of cases) {
      expect(await hexDump(reader, c.name), `${c.size} bytes`).toBe(
        execFileSync('hexdump', ['-C', join(dir, c.name)], C).toString('latin1'),
      );
    }
  });

  it.skipIf(!has('strings'))('strings is strings -a, in each encoding', async () => {
    for (const c of cases) {
      for (const enc of ['s', 'S', 'l', 'b']) {
        const want = execFileSync('strings', ['-a', '-e', enc, join(dir, c.name)], C)
          .toString('latin1')
          .split('\n')
          .slice(0, -1);
        expect(await fileStrings(reader, c.name, enc), `${c.size} bytes, -e ${enc}`).toEqual(want);
      }
    }
  });

  it('wc counts as wc -l, -w, -c', async () => {
    for (const c of cases) {
      const [l, w, b] = execFileSync('wc', [join(dir, c.name)], C)
        .toString()
        .trim()
        .split(/\s+/)
        .map(Number);
      expect([await wordCount(reader, c.name, 'l'), await wordCount(reader, c.name, 'w'), await wordCount(reader, c.name, 'c')]).toEqual([
        l,
        w,
        b,
      ]);
    }
  });
});
