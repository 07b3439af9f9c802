// jinspect --batch end to end: many images in one process, one NDJSON line each, the same
// report as a single jinspect run, a corrupt image failing alone, the cache keyed by the image
// and its backing chain, --out, --from, ^C, and nothing left attached afterwards.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { CAN_RUN_JINSPECT, JINSPECT, WHY_NOT, Workdir, jinspect, reportOf, run } from './jinspect-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const wd = new Workdir('jinspect-batch');
let before: Snapshot | undefined;
let debian = '';
let alpine = '';
let cacheHome = '';

interface Line {
  image: string;
  ok: boolean;
  report?: unknown;
  error?: string;
  file?: string;
}

function lines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

function byImage(ls: Line[]): Map<string, Line> {
  return new Map(ls.map((l) => [l.image, l]));
}

const batch = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  jinspect(['--batch', '--engine=userspace', ...args], { runDir: wd.runDir, env: { XDG_CACHE_HOME: cacheHome, ...env } });

describe.skipIf(!CAN_RUN_JINSPECT)(`jinspect --batch${WHY_NOT ? ` (${WHY_NOT})` : ''}`, () => {
  beforeAll(async () => {
    wd.setup();
    await fixtures('debian-gpt.qcow2', 'alpine.raw');
    debian = await wd.image('debian-gpt.qcow2');
    alpine = await wd.image('alpine.raw');
    cacheHome = path.join(wd.dir, 'cache');
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
  }, 900_000);

  afterEach(async () => {
    if (before) await expectNoLeftovers(before, { timeoutMs: 5000 });
  });

  afterAll(() => wd.teardown());

  it('one line per image, each report as jinspect alone gives it; a corrupt image fails alone (exit 1)', async () => {
    const dir = path.join(wd.dir, 'store');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'corrupt.img'), 'not a disk');
    writeFileSync(path.join(dir, 'zero.img'), Buffer.alloc(1 << 20));
    const r = await batch(['--no-cache', '--jobs', '3', debian, alpine, `${dir}/*.img`]);
    expect(r.code, r.stderr).toBe(1);
    const got = byImage(lines(r.stdout));
    expect([...got.keys()].sort()).toEqual([alpine, debian, path.join(dir, 'corrupt.img'), path.join(dir, 'zero.img')].sort());
    for (const img of [debian, alpine]) {
      const line = got.get(img)!;
      expect(line.ok).toBe(true);
      expect(line.report).toEqual(reportOf(await jinspect(['--engine=userspace', img], { runDir: wd.runDir })));
    }
    for (const bad of ['corrupt.img', 'zero.img']) {
      const line = got.get(path.join(dir, bad))!;
      expect(line.ok).toBe(false);
      expect(line.error).toMatch(/^[^\n]+$/);
    }
    expect(r.stderr).toMatch(/4 of 4 images inspected, 2 failed/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('into a pipe whose reader lags: every line whole (big report lines finishing together are not interleaved)', async () => {
    // six overlays of the Debian image: 50 KiB lines, four finishing at about the same time,
    // written into a pipe that fills before its reader starts
    const dir = path.join(wd.dir, 'lag');
    mkdirSync(dir, { recursive: true });
    // a copy: the fixture's link has several names, and such a backing file is refused
    const copied = await run('cp', ['--sparse=always', '--reflink=auto', debian, path.join(dir, 'base.qcow2')]);
    expect(copied.code, copied.stderr).toBe(0);
    const names: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const overlay = path.join(dir, `lag-${i}.qcow2`);
      const made = await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', overlay]);
      expect(made.code, made.stderr).toBe(0);
      names.push(overlay);
    }
    try {
      const cmd = `"$0" --batch --engine=userspace --no-cache --jobs 4 "$@" | { sleep 1; cat; }`;
      const r = await run('sh', ['-c', cmd, JINSPECT, ...names], { env: { ...process.env, LC_ALL: 'C', JOOT_RUN_DIR: wd.runDir } });
      expect(r.code, r.stderr).toBe(0);
      const got = lines(r.stdout); // each parses
      expect(got.map((l) => l.image).sort()).toEqual([...names].sort());
      for (const l of got) expect(l.error).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the cache answers while an image and its backing chain are unchanged', async () => {
    const dir = path.join(wd.dir, 'chain');
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, 'base.qcow2');
    const top = path.join(dir, 'top.qcow2');
    await run('cp', ['--sparse=always', debian, base]);
    const made = await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', top]);
    expect(made.code, made.stderr).toBe(0);
    const first = await batch([top, alpine]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/from the cache/);
    const second = await batch([top, alpine]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/\(2 from the cache\)/);
    expect(byImage(lines(second.stdout))).toEqual(byImage(lines(first.stdout)));
    // a change to the backing file (its mtime here) makes the overlay's entry stale
    const t = new Date(Date.now() + 5000);
    utimesSync(base, t, t);
    const third = await batch([top, alpine]);
    expect(third.stderr).toMatch(/\(1 from the cache\)/);
    const fourth = await batch(['--no-cache', top, alpine]);
    expect(fourth.stderr).not.toMatch(/from the cache/);
  });

  it('--out DIR writes each report to a file the line names; --from reads paths from a file and from stdin', async () => {
    const out = path.join(wd.dir, 'out');
    const list = path.join(wd.dir, 'list.txt');
    writeFileSync(list, `# the store\n${debian}\n\n${alpine}\n`);
    const r = await batch(['--no-cache', '--out', out, '--from', list]);
    expect(r.code, r.stderr).toBe(0);
    const ls = lines(r.stdout);
    expect(ls.map((l) => l.image).sort()).toEqual([alpine, debian].sort());
    for (const l of ls) {
      expect(l.file?.startsWith(`${out}/`)).toBe(true);
      expect(JSON.parse(readFileSync(l.file!, 'utf8'))).toHaveProperty('operatingsystems');
    }
    const viaStdin = await run(
      'sh',
      ['-c', `printf '%s\\n' "$1" | "$2" --batch --engine=userspace --no-cache --from -`, 'sh', alpine, JINSPECT],
      {
        env: { ...process.env, JOOT_RUN_DIR: wd.runDir, XDG_CACHE_HOME: cacheHome },
      },
    );
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(lines(viaStdin.stdout).map((l) => l.image)).toEqual([alpine]);
  });

  it('on a terminal: a progress line (done/total, failed, rate, time left), cleared before each result line; the summary', async () => {
    const zero = path.join(wd.dir, 'zero.img');
    writeFileSync(zero, Buffer.alloc(1 << 20));
    const r = await run(
      'python3',
      [path.join(here, 'pty-run.py'), JSON.stringify([JINSPECT, '--batch', '--engine=userspace', '--no-cache', debian, zero, alpine])],
      {
        env: { ...process.env, JOOT_RUN_DIR: wd.runDir, XDG_CACHE_HOME: cacheHome, TERM: 'xterm' },
      },
    );
    expect(r.code).toBe(1); // one image failed
    const screen = Buffer.from(r.stdout, 'base64').toString('utf8').replace(/\r\n/g, '\n');
    const draws = [...screen.matchAll(/\r\x1b\[K(\d+)\/3 images(, (\d+) failed)?, (\d+\.\d)\/s(, (\d+) s left)?/g)];
    // drawn as images finish, at most ten times a second, and always at the last
    expect(draws.length, screen.slice(-300)).toBeGreaterThanOrEqual(1);
    const last = draws.at(-1)!;
    expect([last[1], last[3]]).toEqual(['3', '1']);
    expect(last[6]).toBe('0');
    for (const d of draws) expect(Number(d[1])).toBeGreaterThan(0);
    // cleared before each line and before the summary: every result line parses whole, the
    // terminal's lines minus the progress drawings are the three results and the summary
    const clean = screen.replace(/\r\x1b\[K\d+\/3 images[^\r\n]*/g, '').replace(/\r\x1b\[K/g, '');
    const rows = clean.split('\n').filter(Boolean);
    expect(rows.map((l) => l.slice(0, 80))).toHaveLength(4);
    const results = rows.slice(0, 3).map((l) => JSON.parse(l) as Line);
    expect(results.map((l) => [path.basename(l.image), l.ok]).sort()).toEqual([
      ['alpine.raw', true],
      ['debian-gpt.qcow2', true],
      ['zero.img', false],
    ]);
    expect(rows[3]).toMatch(/^jinspect: 3 of 3 images inspected, 1 failed in \d+\.\d s$/);
  });

  it('memory stays bounded whatever the store size: 400 images peak within 96 MiB of 40 (a leak of 0.3 MiB an image fails it)', async () => {
    // overlays of a copy (the fixture's file has several links, which the backing rule refuses)
    const dir = path.join(wd.dir, 'mem');
    mkdirSync(dir, { recursive: true });
    const overlays = Array.from({ length: 400 }, (_, i) => path.join(dir, `vm${String(i).padStart(3, '0')}.qcow2`));
    try {
      await run('cp', ['--sparse=always', debian, path.join(dir, 'base.qcow2')]);
      for (const o of overlays) await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', o]);
      const peak = async (n: number): Promise<number> => {
        const r = await jinspect(['--batch', '--engine=userspace', '--no-cache', '--jobs', '4', ...overlays.slice(0, n)], {
          runDir: wd.runDir,
          env: { XDG_CACHE_HOME: cacheHome },
          measure: true,
          timeoutMs: 300_000,
        });
        expect(r.code, `${r.stderr}${lines(r.stdout)[0]?.error}`).toBe(0);
        expect(lines(r.stdout).filter((l) => l.ok)).toHaveLength(n);
        return r.peakRssKb!;
      };
      const small = await peak(40);
      const big = await peak(400);
      expect((big - small) / 1024, `peak RSS: 40 images ${small} KiB, 400 images ${big} KiB`).toBeLessThan(96);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('^C on the kernel engine: stops, says how many were done (as many lines, none failed), releases everything (exit 130)', async () => {
    const dir = path.join(wd.dir, 'interrupt');
    mkdirSync(dir, { recursive: true });
    await run('cp', ['--sparse=always', debian, path.join(dir, 'base.qcow2')]);
    const images = Array.from({ length: 12 }, (_, i) => path.join(dir, `vm${i}.qcow2`));
    for (const img of images) {
      const made = await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', img]);
      expect(made.code, made.stderr).toBe(0);
    }
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', JOOT_RUN_DIR: wd.runDir, XDG_CACHE_HOME: cacheHome };
    delete env.JOOT_TMPDIR;
    delete env.JOOT_BACKEND;
    const child = spawn(JINSPECT, ['--batch', '--engine=kernel', '--no-cache', '--jobs', '2', ...images], { env });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // at the first line: one image done, the next ones attached and mounted
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('\n') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code, stderr).toBe(130);
    const said = /jinspect: interrupted: (\d+) of 12 images done/.exec(stderr);
    expect(said, stderr).not.toBeNull();
    const ls = lines(stdout);
    expect(ls).toHaveLength(Number(said![1]));
    expect(ls.length).toBeLessThan(12);
    expect(ls.filter((l) => !l.ok)).toEqual([]);
  });

  it('bad usage: one line and exit 2', async () => {
    for (const args of [['--xml'], ['--jobs', '0', debian], ['--jobs', 'many', debian], ['/nonexistent/*.qcow2']]) {
      const r = await batch(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const plain = await jinspect(['--out', '/tmp/x', debian], { runDir: wd.runDir });
    expect(plain.code).toBe(2);
  });
});
