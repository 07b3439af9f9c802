// `jfish download DEVICE FILE` of whole devices on both engines: partitions (a primary and a
// logical one of mbr.raw) and LVs of lvm.raw (linear, two segments, striped), each compared byte
// for byte with what dd reads from the image at the place the fixtures' contract
// (test/fixtures/README.md) and sfdisk's own report of the table put it. Nothing is left behind.
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const isRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joot-download-dev-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `length` bytes of `img` from byte `offset`, read by dd. */
function dd(img: string, offset: number, length: number): Buffer {
  const out = join(dir, 'dd.out');
  execFileSync('dd', [
    `if=${img}`,
    `of=${out}`,
    'bs=1M',
    `skip=${offset}`,
    `count=${length}`,
    'iflag=skip_bytes,count_bytes',
    'status=none',
  ]);
  const b = readFileSync(out);
  rmSync(out);
  expect(b.length).toBe(length);
  return b;
}

/** Partition N of `img` as sfdisk reports it: [start, size] in bytes. */
function partition(img: string, n: number): [number, number] {
  const t = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })) as {
    partitiontable: { partitions: { node: string; start: number; size: number }[] };
  };
  const p = t.partitiontable.partitions.find((x) => x.node.endsWith(String(n)));
  if (!p) throw new Error(`${img}: no partition ${n}`);
  return [p.start * 512, p.size * 512];
}

/** An LV of lvm.raw as its contract places it: pieces of [pv partition, first extent, extents], in LV order. */
function lvmRawLv(img: string, pieces: [number, number, number][]): Buffer {
  const PE_START = MiB;
  const EXTENT = 4 * MiB;
  return Buffer.concat(pieces.map(([part, first, count]) => dd(img, partition(img, part)[0] + PE_START + first * EXTENT, count * EXTENT)));
}

/** lvm.raw's `striped`: two stripes of 64 KiB, one extent each (pv0 extent 15, pv1 extent 0). */
function lvmRawStriped(img: string): Buffer {
  const [a, b] = [lvmRawLv(img, [[2, 15, 1]]), lvmRawLv(img, [[3, 0, 1]])];
  const chunk = 64 * 1024;
  const out: Buffer[] = [];
  for (let i = 0; i < a.length; i += chunk) out.push(a.subarray(i, i + chunk), b.subarray(i, i + chunk));
  return Buffer.concat(out);
}

const CASES: { image: 'mbr.raw' | 'lvm.raw'; device: string; expected: (img: string) => Buffer }[] = [
  { image: 'mbr.raw', device: '/dev/sda1', expected: (img) => dd(img, ...partition(img, 1)) },
  { image: 'mbr.raw', device: '/dev/sda5', expected: (img) => dd(img, ...partition(img, 5)) },
  { image: 'lvm.raw', device: '/dev/sda1', expected: (img) => dd(img, ...partition(img, 1)) },
  { image: 'lvm.raw', device: '/dev/vg0/root', expected: (img) => lvmRawLv(img, [[2, 0, 10]]) },
  {
    image: 'lvm.raw',
    device: '/dev/vg0/split',
    expected: (img) =>
      lvmRawLv(img, [
        [2, 13, 2],
        [2, 16, 2],
      ]),
  },
  { image: 'lvm.raw', device: '/dev/vg0/striped', expected: lvmRawStriped },
];

const expectedCache = new Map<string, Buffer>();
async function expectedOf(c: (typeof CASES)[number]): Promise<Buffer> {
  const key = `${c.image} ${c.device}`;
  let b = expectedCache.get(key);
  if (!b) expectedCache.set(key, (b = c.expected(await fixture(c.image))));
  return b;
}

describe('jfish download of a partition and of LVs: the bytes dd reads from the image', () => {
  for (const engine of ['userspace', 'kernel'] as const) {
    it.skipIf(engine === 'kernel' && !isRoot)(`${engine} engine`, async () => {
      const before = await snapshot({ paths: [dir] });
      for (const image of ['mbr.raw', 'lvm.raw'] as const) {
        const img = await fixture(image);
        const mine = CASES.filter((c) => c.image === image);
        const outs = mine.map((c) => join(dir, `${engine}-${image}-${c.device.replaceAll('/', '_')}`));
        const args = mine.flatMap((c, i) => [':', 'download', c.device, outs[i] as string]);
        const r = await execa(jfish, [`--engine=${engine}`, '--ro', '-a', img, 'run', ...args], {
          reject: false,
          env: { JOOT_CONFIG: '' },
        });
        expect({ out: r.stdout, err: r.stderr, code: r.exitCode }).toEqual({ out: '', err: '', code: 0 });
        for (const [i, c] of mine.entries()) {
          const want = await expectedOf(c);
          const out = outs[i] as string;
          expect(statSync(out).size, `${image} ${c.device}`).toBe(want.length);
          expect(sha(readFileSync(out)), `${image} ${c.device}`).toBe(sha(want));
          rmSync(out);
        }
      }
      await expectNoLeftovers(before);
    });
  }

  it('the expected bytes are the devices: ext4 of the labels the contract gives, at 1 KiB into each', async () => {
    const labels: [string, string, string][] = [
      ['mbr.raw', '/dev/sda1', 'root'],
      ['mbr.raw', '/dev/sda5', 'logical5'],
      ['lvm.raw', '/dev/sda1', 'boot'],
      ['lvm.raw', '/dev/vg0/root', 'lvroot'],
      ['lvm.raw', '/dev/vg0/split', 'lvsplit'],
      ['lvm.raw', '/dev/vg0/striped', 'lvstriped'],
    ];
    for (const [image, device, label] of labels) {
      const c = CASES.find((x) => x.image === image && x.device === device)!;
      const sb = (await expectedOf(c)).subarray(1024, 2048);
      expect(sb.readUInt16LE(0x38), `${image} ${device}`).toBe(0xef53);
      expect(sb.toString('latin1', 0x78, 0x88).replace(/\0+$/, ''), `${image} ${device}`).toBe(label);
    }
  });
});
