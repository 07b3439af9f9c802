// The opt-in probe cache (src/appliance/probe-cache.ts), with real qemu-img: a first probe
// misses and writes the cache, a second hits without running qemu-img at all (a qemu-img that
// always fails is first on PATH); touching or rewriting the base, rebasing the overlay, a
// corrupt cache file, a truncated base and a raw top are misses that probe like probeImage
// does. Last, a Session whose read-write overlay drive has `probeCache` launches a second time
// with that failing qemu-img on PATH. Temp directories are removed in afterAll.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeImage, type ImageInfo } from '../../src/appliance/image.js';
import { probeImageCached, probeImageWithCache } from '../../src/appliance/probe-cache.js';
import { CAN_RUN, Harness, MBR_FILESYSTEMS } from './session-helpers.js';

const HAVE_QEMU_IMG = ['/usr/bin/qemu-img', '/bin/qemu-img', '/usr/local/bin/qemu-img'].some((p) => existsSync(p));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Longer than the cache's settle window: a layer changed this long ago may be stamped. */
const settle = () => sleep(250);

let dir = '';
let fakeBin = '';
const savedPath = process.env.PATH;

/** A directory holding a qemu-img that fails whatever it is asked. */
function makeFakeBin(parent: string): string {
  const d = mkdtempSync(path.join(parent, 'bin-'));
  writeFileSync(path.join(d, 'qemu-img'), '#!/bin/sh\necho "qemu-img: must not run (probe cache test)" >&2\nexit 1\n');
  chmodSync(path.join(d, 'qemu-img'), 0o755);
  return d;
}

/** Run `fn` with the failing qemu-img first on PATH. */
async function withoutQemuImg<T>(fn: () => Promise<T>): Promise<T> {
  process.env.PATH = `${fakeBin}:${savedPath}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = savedPath;
  }
}

/** A raw file of `mib` MiB with data in it. */
function rawWithData(file: string, mib: number, seed: number): void {
  const buf = Buffer.alloc(mib * 1024 * 1024);
  for (let i = 0; i < buf.length; i += 4096) buf.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  writeFileSync(file, buf);
}

/** base.qcow2 (with data) under top.qcow2, in a directory of their own. */
function makeChain(name: string): { top: string; base: string; cache: string } {
  const d = path.join(dir, name);
  execFileSync('mkdir', ['-p', d]);
  rawWithData(path.join(d, 'data.raw'), 8, 1);
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', path.join(d, 'data.raw'), path.join(d, 'base.qcow2')]);
  rmSync(path.join(d, 'data.raw'));
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', path.join(d, 'top.qcow2')]);
  return { top: path.join(d, 'top.qcow2'), base: path.join(d, 'base.qcow2'), cache: path.join(d, 'probe.json') };
}

const OPTS = { format: 'qcow2', readonly: false } as const;

describe.skipIf(!HAVE_QEMU_IMG)('probe cache', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'joot-probe-cache-'));
    fakeBin = makeFakeBin(dir);
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('misses and writes the cache, then hits without running qemu-img', async () => {
    const { top, base, cache } = makeChain('hit');
    await settle();
    const expected = await probeImage(top, OPTS);
    // the failing qemu-img really is in the way
    await expect(withoutQemuImg(() => probeImage(top, OPTS))).rejects.toThrow(/must not run/);

    const first = await probeImageWithCache(top, OPTS, cache);
    expect(first.hit).toBe(false);
    expect(first.info).toEqual(expected);
    expect(first.info.chain.map((l) => [l.path, l.format])).toEqual([
      [top, 'qcow2'],
      [base, 'qcow2'],
    ]);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(cache, 'utf8')) as { stamps: { path: string }[] };
    expect(saved.stamps.map((s) => s.path)).toEqual([base]);

    const second = await withoutQemuImg(() => probeImageWithCache(top, OPTS, cache));
    expect(second.hit).toBe(true);
    expect(second.info).toEqual(expected);
    // `given` is the path as passed now; the chain is the resolved one
    const link = path.join(path.dirname(top), 'link-to-top.qcow2');
    symlinkSync(top, link);
    const viaLink = await withoutQemuImg(() => probeImageCached(link, OPTS, cache));
    expect(viaLink).toEqual({ ...expected, given: link });
    // the session writing to the top (not stamped) keeps it a hit
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 64k', top], { stdio: 'pipe' });
    expect((await withoutQemuImg(() => probeImageWithCache(top, OPTS, cache))).hit).toBe(true);
    // other options: a miss
    await expect(withoutQemuImg(() => probeImageCached(top, { ...OPTS, readonly: true }, cache))).rejects.toThrow(/must not run/);
    await expect(withoutQemuImg(() => probeImageCached(top, { ...OPTS, allowUnsafeBacking: true }, cache))).rejects.toThrow(/must not run/);
  });

  it('a touched base is a miss (utimes; a byte rewritten with its mtime put back)', async () => {
    const { top, base, cache } = makeChain('touch');
    await settle();
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(true);

    const st = statSync(base);
    utimesSync(base, st.atime, st.mtime); // same times: only ctime moves
    await expect(withoutQemuImg(() => probeImageCached(top, OPTS, cache))).rejects.toThrow(/must not run/);
    await settle();
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false); // re-stamped
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(true);

    // rewrite the last byte (with itself, even) and put the mtime back
    const before = statSync(base);
    const fh = await open(base, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, before.size - 1);
    await fh.write(b, 0, 1, before.size - 1);
    await fh.close();
    utimesSync(base, before.atime, before.mtime);
    expect(statSync(base).mtimeMs).toBe(before.mtimeMs);
    await expect(withoutQemuImg(() => probeImageCached(top, OPTS, cache))).rejects.toThrow(/must not run/);
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
  });

  it('a base changed while (or just before) it was probed is not cached', async () => {
    const { top, cache } = makeChain('fresh');
    // no settle: base.qcow2 was written moments ago
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    expect(existsSync(cache)).toBe(false);
    await settle();
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    expect(existsSync(cache)).toBe(true);
  });

  it('a rebased overlay is a miss (and its new chain is probed)', async () => {
    const { top, base, cache } = makeChain('rebase');
    const other = path.join(path.dirname(top), 'other.raw');
    rawWithData(other, 8, 2);
    await settle();
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    execFileSync('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', other, '-F', 'raw', top]);
    await expect(withoutQemuImg(() => probeImageCached(top, OPTS, cache))).rejects.toThrow(/must not run/);
    const rebased = await probeImageWithCache(top, OPTS, cache);
    expect(rebased.hit).toBe(false);
    expect(rebased.info.chain.map((l) => [l.path, l.format])).toEqual([
      [top, 'qcow2'],
      [other, 'raw'],
    ]);
    expect((await withoutQemuImg(() => probeImageWithCache(top, OPTS, cache))).hit).toBe(true);
    // the same base named in another format: a miss too
    execFileSync('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', base, '-F', 'qcow2', top]);
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    execFileSync('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', base, '-F', 'raw', top]);
    await expect(withoutQemuImg(() => probeImageCached(top, OPTS, cache))).rejects.toThrow(/must not run/);
  });

  it('a corrupt, foreign or unreadable cache file is a miss, not an error', async () => {
    const { top, cache } = makeChain('corrupt-cache');
    await settle();
    const expected = await probeImage(top, OPTS);
    for (const junk of ['', '{', 'null', '[]', '{"version":1}', JSON.stringify({ version: 1, opts: {}, info: {}, stamps: [] })]) {
      writeFileSync(cache, junk, { mode: 0o600 });
      const r = await probeImageWithCache(top, OPTS, cache);
      expect(r.hit).toBe(false);
      expect(r.info).toEqual(expected);
    }
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(true); // rewritten by the last miss
    // a group- or world-writable cache could have been forged: ignored
    chmodSync(cache, 0o666);
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    // a cache that is a directory
    const asDir = path.join(path.dirname(top), 'cache-dir');
    execFileSync('mkdir', ['-p', asDir]);
    const r = await probeImageWithCache(top, OPTS, asDir);
    expect(r).toMatchObject({ hit: false, info: expected });
  });

  it('a truncated base is refused on a miss exactly as probeImage refuses it, and never cached', async () => {
    const { top, base, cache } = makeChain('truncated');
    await settle();
    expect((await probeImageWithCache(top, OPTS, cache)).hit).toBe(false);
    const good = readFileSync(cache, 'utf8');
    truncateSync(base, Math.floor(statSync(base).size / 2));
    let plain: unknown;
    try {
      await probeImage(top, OPTS);
    } catch (e) {
      plain = e;
    }
    expect(String(plain)).toMatch(/corrupt qcow2/);
    await settle();
    for (let i = 0; i < 2; i++) {
      await expect(probeImageCached(top, OPTS, cache)).rejects.toEqual(plain);
      expect(readFileSync(cache, 'utf8')).toBe(good);
    }
  });

  it('a truncated or corrupt-marked top is a miss (qemu-img check decides)', async () => {
    const { top, cache } = makeChain('top');
    await settle();
    await probeImageCached(top, OPTS, cache);
    expect((await withoutQemuImg(() => probeImageWithCache(top, OPTS, cache))).hit).toBe(true);
    // set incompatible feature bit 1 (corrupt)
    const fh = await open(top, 'r+');
    const b = Buffer.alloc(8);
    await fh.read(b, 0, 8, 72);
    b.writeBigUInt64BE(b.readBigUInt64BE(0) | 2n);
    await fh.write(b, 0, 8, 72);
    await fh.close();
    await expect(withoutQemuImg(() => probeImageCached(top, OPTS, cache))).rejects.toThrow(/must not run/);
    b.writeBigUInt64BE(b.readBigUInt64BE(0) & ~2n);
    const fh2 = await open(top, 'r+');
    await fh2.write(b, 0, 8, 72);
    await fh2.close();
    expect((await withoutQemuImg(() => probeImageWithCache(top, OPTS, cache))).hit).toBe(true);
    truncateSync(top, 4096);
    await expect(withoutQemuImg(() => probeImageCached(top, OPTS, cache))).rejects.toThrow(/must not run/);
  });

  it('a raw top never hits, and is not cached', async () => {
    const raw = path.join(dir, 'top.raw');
    const cache = path.join(dir, 'raw-probe.json');
    rawWithData(raw, 4, 3);
    await settle();
    for (const opts of [{ readonly: true }, { format: 'raw', readonly: true }]) {
      const r = await probeImageWithCache(raw, opts, cache);
      expect(r.hit).toBe(false);
      expect(r.info.format).toBe('raw');
      expect(existsSync(cache)).toBe(false);
      await expect(withoutQemuImg(() => probeImageCached(raw, opts, cache))).rejects.toThrow(/must not run/);
    }
  });

  it('with check: false, only save() (after the caller checked) writes the cache', async () => {
    const { top, cache } = makeChain('unchecked');
    await settle();
    const r = await probeImageWithCache(top, { ...OPTS, check: false }, cache);
    expect(r.hit).toBe(false);
    expect(existsSync(cache)).toBe(false);
    await r.save();
    expect(existsSync(cache)).toBe(true);
    const again = await withoutQemuImg(() => probeImageWithCache(top, { ...OPTS, check: false }, cache));
    expect(again).toMatchObject({ hit: true, info: r.info satisfies ImageInfo });
  });
});

describe.skipIf(!CAN_RUN)('Session with probeCache', () => {
  const h = new Harness('probecache');
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('a read-write overlay launches from the cache the second time, without qemu-img', async () => {
    // a copy, not the harness's hard link: a base with several links is refused (named-path.ts)
    const base = await h.image('mbr.raw', 'copy');
    const top = path.join(h.dir, 'overlay.qcow2');
    const cache = path.join(h.dir, 'probe.json');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', top]);
    await settle(); // the copy is fresh: let its ctime settle

    const launch = async () => {
      const s = h.session();
      s.addDrive(top, { format: 'qcow2', readonly: false, probeCache: cache });
      await s.launch();
      expect(s.filesystems()).toEqual(MBR_FILESYSTEMS);
      await s.mount('/dev/sda1', '/');
      expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
      await s.close();
    };
    await launch();
    expect(existsSync(cache)).toBe(true);
    fakeBin = makeFakeBin(h.dir);
    await withoutQemuImg(launch);
    // without the option: probed (and so refused by the failing qemu-img)
    const s = h.session();
    s.addDrive(top, { format: 'qcow2', readonly: false });
    await expect(withoutQemuImg(() => s.launch())).rejects.toThrow(/must not run/);
  });
});
