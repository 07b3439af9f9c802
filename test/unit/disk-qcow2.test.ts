// openImage (src/disk/containers) against qemu's own answers: every byte of every image read
// through joot equals `qemu-img convert -O raw` of it, the format equals `qemu-img info`'s.
// Images are made here with qemu-img/qemu-io (no root); hostile ones are good ones with bytes
// patched. The NBD path (vmdk, vdi, vhdx, vpc) runs qemu-storage-daemon unprivileged.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JootError } from '../../src/core/errors.js';
import { openImage, type OpenedImage, type OpenImageOptions } from '../../src/disk/containers/index.js';
import { readInto } from '../../src/disk/source.js';
import { fixture, REPO_ROOT } from '../fixtures/index.js';
import { QCOW2_CRAFTED, qcow2Tables } from './qcow2-craft.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let dir = '';
let n = 0;
const opened: OpenedImage[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joot-disk-qcow2-'));
});
afterEach(async () => {
  // an image a failing test left open: its daemon and socket directory go too
  await Promise.all(opened.splice(0).map((i) => i.close()));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const path = (tag: string): string => join(dir, `${n++}-${tag}`);

function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function qemuIo(fmt: string, file: string, ...cmds: string[]): void {
  const r = spawnSync('qemu-io', ['-f', fmt, ...cmds.flatMap((c) => ['-c', c]), file], { encoding: 'utf8' });
  if (r.status !== 0 || /error|fail/i.test(r.stdout + r.stderr)) throw new Error(`qemu-io ${cmds.join('; ')}: ${r.stdout}${r.stderr}`);
}

/** qemu's view of the whole disk. */
function qemuRaw(file: string, fmt?: string): Buffer {
  const out = path('expected.raw');
  qemuImg('convert', ...(fmt ? ['-f', fmt] : []), '-O', 'raw', file, out);
  const b = readFileSync(out);
  rmSync(out);
  return b;
}

function qemuFormat(file: string): string {
  return (JSON.parse(qemuImg('info', '--output=json', file)) as { format: string }).format;
}

async function open(file: string, opts: OpenImageOptions = {}): Promise<OpenedImage> {
  const img = await openImage(file, opts);
  opened.push(img);
  return img;
}

async function close(img: OpenedImage): Promise<void> {
  opened.splice(opened.indexOf(img), 1);
  await img.close();
}

async function readAll(img: OpenedImage, chunk = 1 * MiB): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let o = 0; o < img.size; o += chunk) parts.push(await img.read(o, Math.min(chunk, img.size - o)));
  return Buffer.concat(parts);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Every byte equals qemu's, whole and in random ranges that cross cluster boundaries. */
async function expectSameAsQemu(file: string, opts: { cluster?: number; format?: string } = {}): Promise<OpenedImage> {
  const want = qemuRaw(file, opts.format);
  const img = await open(file);
  expect(img.format).toBe(opts.format ?? qemuFormat(file));
  expect(img.size).toBe(want.length);
  expect(sha(await readAll(img))).toBe(sha(want));
  const cs = opts.cluster ?? 64 * KiB;
  const r = rng(want.length ^ cs);
  for (let i = 0; i < 40; i++) {
    const boundary = Math.floor(r() * (want.length / cs)) * cs;
    const off = Math.max(0, Math.min(want.length - 1, boundary - Math.floor(r() * 700)));
    const len = Math.min(want.length - off, 1 + Math.floor(r() * (cs * 2 + 1000)));
    expect((await img.read(off, len)).equals(want.subarray(off, off + len)), `range ${off}+${len}`).toBe(true);
    // into a used buffer (as the block cache recycles them): every byte written, zeros too, none around
    const used = Buffer.alloc(len + 16, 0xa5);
    await readInto(img, off, len, used, 8);
    expect(used.subarray(8, 8 + len).equals(want.subarray(off, off + len)), `range ${off}+${len} into a used buffer`).toBe(true);
    expect([...used.subarray(0, 8), ...used.subarray(8 + len)].every((x) => x === 0xa5)).toBe(true);
  }
  // through a small cache, whose evicted blocks' buffers are refilled (read into used memory)
  const small = await open(file, { cacheBytes: 4 * cs });
  expect(sha(await readAll(small, Math.max(512, cs / 2)))).toBe(sha(want));
  await close(small);
  return img;
}

/** A 4 MiB raw disk: random runs, text, zero gaps (so compression and zero detection both matter). */
function sourceRaw(seed = 1): string {
  const b = Buffer.alloc(4 * MiB);
  const r = rng(seed);
  for (let o = 0; o < b.length; o += 64 * KiB) {
    const kind = Math.floor(r() * 4);
    const len = Math.floor(r() * 64 * KiB);
    if (kind === 0) for (let i = 0; i < len; i++) b[o + i] = Math.floor(r() * 256);
    else if (kind === 1) b.write('joot qcow2 reader '.repeat(Math.ceil(len / 18)).slice(0, len), o, 'latin1');
  }
  const f = path('src.raw');
  writeFileSync(f, b);
  return f;
}

describe('qcow2 read natively equals qemu-img convert -O raw', () => {
  const variants: [string, string[], number][] = [
    ['v3 (compat=1.1), 64 KiB clusters', ['-o', 'compat=1.1'], 64 * KiB],
    ['v2 (compat=0.10)', ['-o', 'compat=0.10'], 64 * KiB],
    ['512-byte clusters', ['-o', 'cluster_size=512'], 512],
    ['2 MiB clusters', ['-o', 'cluster_size=2M'], 2 * MiB],
    ['compressed, zlib', ['-c', '-o', 'compression_type=zlib'], 64 * KiB],
    ['compressed, zstd', ['-c', '-o', 'compression_type=zstd'], 64 * KiB],
    ['compressed, zlib, 4 KiB clusters', ['-c', '-o', 'compression_type=zlib,cluster_size=4096'], 4096],
    ['compressed, v2', ['-c', '-o', 'compat=0.10'], 64 * KiB],
    ['extended L2', ['-o', 'extended_l2=on'], 64 * KiB],
    ['extended L2, compressed zstd', ['-c', '-o', 'extended_l2=on,compression_type=zstd'], 64 * KiB],
  ];
  for (const [what, args, cluster] of variants) {
    it(what, async () => {
      const img = path('img.qcow2');
      qemuImg('convert', '-f', 'raw', '-O', 'qcow2', ...args, sourceRaw(cluster), img);
      await expectSameAsQemu(img, { cluster });
    });
  }

  it('zero clusters, zero subclusters, discard, partial writes (v3 and extended L2)', async () => {
    for (const opt of ['compat=1.1', 'extended_l2=on', 'compat=0.10']) {
      const img = path('zero.qcow2');
      qemuImg('convert', '-f', 'raw', '-O', 'qcow2', '-o', opt, sourceRaw(7), img);
      qemuIo(
        'qcow2',
        img,
        'write -z 0 64k',
        'write -z 131072 4096',
        'write -z -u 262144 131072',
        'discard 524288 65536',
        'write -P 0x5a 600000 3000',
        'write -z 700000 100',
      );
      await expectSameAsQemu(img);
    }
  });

  it('a 3-deep backing chain (raw ← qcow2 v2 ← qcow2 extended L2), writes at each layer, a smaller base', async () => {
    const base = path('base.raw');
    writeFileSync(base, Buffer.alloc(3 * MiB, 0x11));
    qemuIo('raw', base, 'write -P 0xb1 0 1M', 'write -P 0xb2 2000000 70000');
    const mid = path('mid.qcow2');
    qemuImg('create', '-f', 'qcow2', '-o', 'compat=0.10', '-b', base, '-F', 'raw', mid, '4M');
    qemuIo('qcow2', mid, 'write -P 0xc1 65536 65536', 'write -P 0xc2 1000000 300000', 'write -P 0xc3 3500000 10000');
    const top = path('top.qcow2');
    qemuImg('create', '-f', 'qcow2', '-o', 'extended_l2=on', '-b', mid, '-F', 'qcow2', top, '5M');
    qemuIo('qcow2', top, 'write -P 0xd1 70000 5000', 'write -z 1100000 4096', 'write -P 0xd2 4500000 100000', 'discard 2000000 65536');
    await expectSameAsQemu(top);
    // relative backing names resolve against the image's directory, as qemu's do
    const rel = path('rel.qcow2');
    qemuImg('create', '-f', 'qcow2', '-u', '-b', mid.slice(dir.length + 1), '-F', 'qcow2', rel, '4M');
    await expectSameAsQemu(rel);
  });

  it('the fixtures three.qcow2 and overlay.qcow2', async () => {
    for (const f of ['three.qcow2', 'overlay.qcow2'] as const) {
      const file = await fixture(f);
      const want = qemuRaw(file);
      const img = await open(file, { backingDirs: [join(file, '..')] });
      expect(img.format).toBe('qcow2');
      expect(sha(await readAll(img, 8 * MiB))).toBe(sha(want));
      await close(img);
    }
  });

  it('a dirty (lazy refcounts) image reads read-only', async () => {
    const img = path('dirty.qcow2');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', sourceRaw(3), img);
    const b = readFileSync(img);
    b.writeBigUInt64BE(b.readBigUInt64BE(72) | 1n, 72); // incompatible bit 0: dirty
    writeFileSync(img, b);
    const want = qemuRaw(sourceRaw(3), 'raw');
    const o = await open(img);
    expect(sha(await readAll(o))).toBe(sha(want));
  });

  it('a 1 TiB sparse qcow2 opens and reads its first MiB and its last quickly', async () => {
    const img = path('big.qcow2');
    qemuImg('create', '-f', 'qcow2', img, '1T');
    qemuIo('qcow2', img, 'write -P 0xaa 0 1M', 'write -P 0xbb 1099510579200 4096');
    const t0 = Date.now();
    const o = await open(img);
    expect(o.size).toBe(2 ** 40);
    expect((await o.read(0, MiB)).equals(Buffer.alloc(MiB, 0xaa))).toBe(true);
    const tail = await o.read(2 ** 40 - MiB, MiB);
    expect(tail.length).toBe(MiB);
    expect(tail.subarray(0, 1099510579200 - (2 ** 40 - MiB)).every((x) => x === 0)).toBe(true);
    expect(tail.subarray(1099510579200 - (2 ** 40 - MiB), 1099510579200 - (2 ** 40 - MiB) + 4096).every((x) => x === 0xbb)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('format detection agrees with qemu-img info', () => {
  it('qcow2, qcow, qed, vmdk, vdi, vhdx, vpc, raw', async () => {
    const src = sourceRaw(5);
    for (const fmt of ['qcow2', 'qcow', 'qed', 'vmdk', 'vdi', 'vhdx', 'vpc']) {
      const img = path(`det.${fmt}`);
      qemuImg('convert', '-f', 'raw', '-O', fmt, src, img);
      const o = await open(img);
      expect(o.format, fmt).toBe(qemuFormat(img));
      await close(o);
    }
    const o = await open(src);
    expect(o.format).toBe(qemuFormat(src));
  });
});

// ------------------------------------------------------------------------------------ hostile

/** Opening and reading everything fails with one clean line naming the image, in bounded time. */
async function expectCleanFailure(file: string, code?: string, match?: RegExp, opts: OpenImageOptions = {}): Promise<JootError> {
  const t0 = Date.now();
  let err: unknown;
  try {
    const img = await open(file, opts);
    await readAll(img);
  } catch (e) {
    err = e;
  }
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(err, 'should have failed').toBeInstanceOf(JootError);
  const j = err as JootError;
  expect(j.message).not.toContain('\n');
  expect(j.message).toContain(file);
  if (code) expect(j.code).toBe(code);
  if (match) expect(j.message).toMatch(match);
  return j;
}

function goodQcow2(opts = 'compat=1.1'): { file: string; buf: Buffer; l1: number; l2: number } {
  const file = path('good.qcow2');
  qemuImg('convert', '-f', 'raw', '-O', 'qcow2', '-o', opts, sourceRaw(11), file);
  const buf = readFileSync(file);
  return { file, buf, ...qcow2Tables(buf) };
}

function patched(buf: Buffer, edit: (b: Buffer) => void): string {
  const b = Buffer.from(buf);
  edit(b);
  const f = path('bad.qcow2');
  writeFileSync(f, b);
  return f;
}

describe('hostile qcow2: one-line JootErrors in bounded time', () => {
  it('a truncated file', async () => {
    const { file } = goodQcow2();
    truncateSync(file, 400 * KiB);
    await expectCleanFailure(file, undefined, /outside the file/);
  });

  it('L1 table offset past EOF', async () => {
    const { buf } = goodQcow2();
    await expectCleanFailure(patched(buf, QCOW2_CRAFTED.l1PastEof), 'EFORMAT', /L1 table/);
  });

  it('L2 table offset past EOF', async () => {
    const { buf } = goodQcow2();
    await expectCleanFailure(patched(buf, QCOW2_CRAFTED.l2PastEof), 'EFORMAT', /L2 table offset/);
  });

  it('an L2 entry pointing outside the file', async () => {
    const { buf } = goodQcow2();
    await expectCleanFailure(patched(buf, QCOW2_CRAFTED.l2EntryOutside), 'EFORMAT', /outside the file/);
  });

  it('a compressed cluster whose data runs past EOF', async () => {
    const { buf, l2 } = goodQcow2('compression_type=zlib');
    const c = Buffer.from(buf);
    const file = path('c.qcow2');
    writeFileSync(file, c);
    qemuImg('convert', '-c', '-f', 'qcow2', '-O', 'qcow2', file, `${file}.c`);
    const cb = readFileSync(`${file}.c`);
    const cl1 = Number(cb.readBigUInt64BE(40));
    const cl2 = Number(cb.readBigUInt64BE(cl1) & 0x00fffffffffffe00n);
    void l2;
    // offset near the end, the most sectors the entry can hold: garbage that runs past EOF
    const shift = 62n - (16n - 8n);
    const entry = (1n << 62n) | (((1n << 8n) - 1n) << shift) | BigInt(cb.length - 16);
    await expectCleanFailure(
      patched(cb, (b) => b.writeBigUInt64BE(entry, cl2)),
      'EFORMAT',
      /compressed/,
    );
    // and one that starts past EOF
    const past = (1n << 62n) | BigInt(cb.length + 4096);
    await expectCleanFailure(
      patched(cb, (b) => b.writeBigUInt64BE(past, cl2)),
      'EFORMAT',
      /outside the file/,
    );
  });

  it('a backing chain that loops (a → b → a)', async () => {
    const a = path('a.qcow2');
    const b = path('b.qcow2');
    qemuImg('create', '-f', 'qcow2', '-u', '-b', b, '-F', 'qcow2', a, '1M');
    qemuImg('create', '-f', 'qcow2', '-u', '-b', a, '-F', 'qcow2', b, '1M');
    await expectCleanFailure(a, 'EFORMAT', /loops/);
  });

  it('a backing chain deeper than 16', async () => {
    let prev = path('d0.raw');
    writeFileSync(prev, Buffer.alloc(MiB));
    let fmt = 'raw';
    for (let i = 1; i <= 17; i++) {
      const next = path(`d${i}.qcow2`);
      qemuImg('create', '-f', 'qcow2', '-u', '-b', prev, '-F', fmt, next, '1M');
      prev = next;
      fmt = 'qcow2';
    }
    await expectCleanFailure(prev, 'EFORMAT', /longer than 16/);
  });

  it('a backing name the rule does not allow (/etc/passwd, a canary outside), none without a format', async () => {
    const img = path('passwd.qcow2');
    qemuImg('create', '-f', 'qcow2', '-u', '-b', '/etc/passwd', '-F', 'raw', img, '1M');
    await expectCleanFailure(img, 'EPERM', /outside the image's directory/);
    const other = mkdtempSync(join(tmpdir(), 'joot-canary-'));
    try {
      const canary = join(other, 'canary.raw');
      writeFileSync(canary, Buffer.alloc(MiB, 0xcc));
      const before = statSync(canary).atimeMs;
      const c = path('canary.qcow2');
      qemuImg('create', '-f', 'qcow2', '-u', '-b', canary, '-F', 'raw', c, '1M');
      await expectCleanFailure(c, 'EPERM', /refused/);
      expect(statSync(canary).atimeMs).toBe(before);
      // allowed explicitly: read
      const o = await open(c, { backingDirs: [other] });
      expect((await o.read(0, 4096)).every((x) => x === 0xcc)).toBe(true);
      await close(o);
      // a backing file with no recorded format is refused (never probed)
      // (qemu-img no longer makes one: hide the backing format extension as an unknown one)
      copyFileSync(canary, `${dir}/nf-base.raw`);
      const withFormat = path('withformat.qcow2');
      qemuImg('create', '-f', 'qcow2', '-u', '-b', `${dir}/nf-base.raw`, '-F', 'raw', withFormat, '1M');
      const hb = readFileSync(withFormat);
      const at = hb.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]), 72);
      expect(at).toBeGreaterThan(0);
      await expectCleanFailure(
        patched(hb, (b) => b.writeUInt32BE(0x6a6f6f74, at)),
        'EFORMAT',
        /no recorded format/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a FIFO as the image or as its backing file: refused, no hang', async () => {
    const fifo = path('fifo');
    execFileSync('mkfifo', [fifo]);
    await expectCleanFailure(fifo, 'EINVAL', /not a regular file/);
    const img = path('fifo-backed.qcow2');
    qemuImg('create', '-f', 'qcow2', '-u', '-b', fifo, '-F', 'raw', img, '1M');
    await expectCleanFailure(img, 'EPERM', /FIFO/);
  });

  it('virtual size 1 EiB, cluster_bits 40, l1_size huge', async () => {
    const { buf } = goodQcow2();
    await expectCleanFailure(patched(buf, QCOW2_CRAFTED.virtualSize1EiB), 'EUNSUPPORTED', /beyond 2\^53/);
    await expectCleanFailure(
      patched(buf, (b) => b.writeUInt32BE(40, 20)),
      'EFORMAT',
      /cluster_bits 40/,
    );
    await expectCleanFailure(patched(buf, QCOW2_CRAFTED.l1SizeHuge), 'EFORMAT', /L1 table/);
    await expectCleanFailure(
      patched(buf, (b) => b.writeUInt32BE(0x100000, 36)),
      'EFORMAT',
      /L1 table/,
    );
  });

  it('~200 random corruptions of header, L1 and L2: qemu-equal bytes or a JootError', async () => {
    const file = path('fuzz.qcow2');
    const src = path('fuzz.raw');
    const b = Buffer.alloc(MiB);
    const r0 = rng(99);
    for (let i = 0; i < b.length; i += 4096) if (r0() < 0.5) b.fill(Math.floor(r0() * 256), i, i + 4096);
    writeFileSync(src, b);
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', src, file);
    const good = readFileSync(file);
    const l1 = Number(good.readBigUInt64BE(40));
    const l2 = Number(good.readBigUInt64BE(l1) & 0x00fffffffffffe00n);
    const r = rng(2026);
    const stats = { equal: 0, joot: 0, qemuFailed: 0, jootWhereQemuRead: 0 };
    const refusals = new Map<string, number>();
    for (let round = 0; round < 200; round++) {
      const region = round % 3;
      const bad = Buffer.from(good);
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const at = region === 0 ? Math.floor(r() * 112) : region === 1 ? l1 + Math.floor(r() * 16) : l2 + Math.floor(r() * 4096);
        bad[at] = r() < 0.5 ? Math.floor(r() * 256) : bad[at]! ^ (1 << Math.floor(r() * 8));
      }
      const f = join(dir, `fuzz-${round}.qcow2`);
      writeFileSync(f, bad);
      const spec = `json:${JSON.stringify({ driver: 'qcow2', file: { driver: 'file', filename: f }, backing: null })}`;
      const q = spawnSync('qemu-img', ['convert', '-O', 'raw', spec, `${f}.raw`], { timeout: 20_000 });
      const want = q.status === 0 ? readFileSync(`${f}.raw`) : undefined;
      const t0 = Date.now();
      try {
        const img = await open(f);
        const got = await readAll(img);
        await close(img);
        if (want) {
          expect(sha(got), `round ${round}`).toBe(sha(want));
          stats.equal++;
        } else stats.qemuFailed++;
      } catch (e) {
        if (!(e instanceof JootError)) throw new Error(`round ${round}: ${String((e as Error).stack)}`);
        expect(e.message).not.toContain('\n');
        stats.joot++;
        if (want) {
          stats.jootWhereQemuRead++;
          const why = e.message.replace(/^\S+: /, '').replace(/\d+/g, 'N');
          refusals.set(why, (refusals.get(why) ?? 0) + 1);
        }
      }
      expect(Date.now() - t0, `round ${round}`).toBeLessThan(10_000);
      rmSync(f, { force: true });
      rmSync(`${f}.raw`, { force: true });
    }
    expect(stats.equal + stats.joot + stats.qemuFailed).toBe(200);
    // most rounds must be decided against qemu, not merely refused
    expect(stats.equal).toBeGreaterThan(20);
    console.info('fuzz', stats, refusals);
  }, 240_000);
});

// ------------------------------------------------------------------------------------ NBD path

/** Our qemu-storage-daemons: processes whose command line names `marker`. */
function daemonsNaming(marker: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1');
      if (cmd.includes('qemu-storage-daemon') && cmd.includes(marker)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

describe('other formats through qemu-storage-daemon over NBD', () => {
  let runtime = '';
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.XDG_RUNTIME_DIR;
    runtime = join(dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = runtime;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved;
  });

  for (const f of ['mbr.vmdk', 'mbr.vdi', 'mbr.vhdx', 'mbr.vpc'] as const) {
    it(`${f} equals qemu-img convert; nothing is left after close()`, async () => {
      const file = await fixture(f);
      const want = qemuRaw(file);
      const img = await open(file);
      expect(img.format).toBe(qemuFormat(file));
      expect(img.size).toBe(want.length);
      const [sockDir] = readdirSync(runtime);
      expect(statSync(join(runtime, sockDir!)).mode & 0o777).toBe(0o700);
      expect(daemonsNaming(runtime)).toHaveLength(1);
      expect(sha(await readAll(img, 8 * MiB))).toBe(sha(want));
      expect((await img.read(511, 2)).equals(want.subarray(511, 513))).toBe(true);
      await close(img);
      expect(readdirSync(runtime)).toEqual([]);
      expect(daemonsNaming(runtime)).toEqual([]);
    });
  }

  it('qcow (v1), a mixed chain raw ← qed ← qcow2, a qcow2 with an external data file', async () => {
    const qcow = path('t.qcow');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow', sourceRaw(21), qcow);
    qemuIo('qcow', qcow, 'write -P 0x77 100000 5000');
    await expectSameAsQemu(qcow, { format: 'qcow' });
    const base = path('base.raw');
    writeFileSync(base, readFileSync(sourceRaw(22)));
    const qed = path('mid.qed');
    qemuImg('create', '-f', 'qed', '-b', base, '-F', 'raw', qed, '4M');
    qemuIo('qed', qed, 'write -P 0x66 200000 70000');
    const top = path('top.qcow2');
    qemuImg('create', '-f', 'qcow2', '-b', qed, '-F', 'qed', top, '4M');
    qemuIo('qcow2', top, 'write -P 0x55 250000 1000');
    await expectSameAsQemu(top);
    const data = path('data.qcow2');
    qemuImg('create', '-f', 'qcow2', '-o', `data_file=${data}.bin`, data, '2M');
    qemuIo('qcow2', data, 'write -P 0x42 4096 8192');
    await expectSameAsQemu(data);
    expect(readdirSync(runtime).length).toBe(3); // three exports open: qcow, qed, data file
  });

  it('a vmdk text descriptor with a flat extent; an extent outside the image directory is refused', async () => {
    const sub = join(dir, 'flat');
    mkdirSync(sub);
    const vmdk = join(sub, 'disk.vmdk');
    qemuImg('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', sourceRaw(31), vmdk);
    const img = await expectSameAsQemu(vmdk, { format: 'vmdk' });
    await close(img);
    // the same descriptor, moved away from its extent, names it by an absolute path elsewhere
    const moved = path('moved.vmdk');
    writeFileSync(moved, readFileSync(vmdk, 'latin1').replace(/"disk-flat\.vmdk"/, `"${join(sub, 'disk-flat.vmdk')}"`));
    expect(readFileSync(moved, 'latin1')).toContain(join(sub, 'disk-flat.vmdk'));
    const other = mkdtempSync(join(tmpdir(), 'joot-vmdk-'));
    try {
      const far = join(other, 'far.vmdk');
      copyFileSync(moved, far);
      await expectCleanFailure(far, 'EPERM', /extent 1 names .*outside the image's directory/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('a broken vdi: a one-line error, and no daemon or directory left behind', async () => {
    const src = path('ok.vdi');
    qemuImg('convert', '-f', 'raw', '-O', 'vdi', sourceRaw(4), src);
    const b = readFileSync(src);
    b.writeUInt32LE(0xdeadbeef, 0x158); // an absurd block count in the header
    b.writeUInt32LE(77, 0x54); // and an unknown image type
    const bad = path('bad.vdi');
    writeFileSync(bad, b);
    await expectCleanFailure(bad, 'EFORMAT', /qemu-storage-daemon cannot open/);
    expect(readdirSync(runtime)).toEqual([]);
    expect(daemonsNaming(runtime)).toEqual([]);
  });

  it('runs as an unprivileged user (uid 65534)', async () => {
    if (process.getuid?.() !== 0) return; // setpriv needs root to switch users
    const shared = mkdtempSync(join(tmpdir(), 'joot-nobody-'));
    try {
      chmodSync(shared, 0o755);
      const img = join(shared, 'mbr.vdi');
      copyFileSync(await fixture('mbr.vdi'), img);
      chmodSync(img, 0o644);
      const want = sha(qemuRaw(img));
      const home = join(shared, 'home'); // the user's own temp dir: the socket directory goes there
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, 65534, 65534);
      // the built module (npm run build): node runs it as it is, as the tools do
      const built = join(REPO_ROOT, 'dist/src/disk/containers/index.js');
      expect(existsSync(built), 'run npm run build first').toBe(true);
      const script = join(shared, 'read.mjs');
      writeFileSync(
        script,
        [
          `import { createHash } from 'node:crypto';`,
          `import { openImage } from ${JSON.stringify(built)};`,
          `const img = await openImage(${JSON.stringify(img)});`,
          `const h = createHash('sha256');`,
          `for (let o = 0; o < img.size; o += 8 << 20) h.update(await img.read(o, Math.min(8 << 20, img.size - o)));`,
          `await img.close();`,
          `console.log(img.format, h.digest('hex'), process.getuid());`,
        ].join('\n'),
      );
      chmodSync(script, 0o644);
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: home, TMPDIR: home },
        timeout: 60_000,
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(`vdi ${want} 65534`);
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
