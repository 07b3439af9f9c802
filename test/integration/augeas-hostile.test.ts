// Augeas never reads or writes a host file through a guest path (issue 16, Augeas): the guest's
// /etc/hosts is a symlink to a host canary (absolute, and relative with enough '..'), which
// holds a valid hosts file. aug-init / aug-get / aug-set / aug-save never show or change it;
// inside the guest the link leads to the guest's own file. The co-process and its private copy
// are gone after aug-close and after the session's close.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/session.js';
import { oneLine } from '../../src/core/errors.js';
import { BufferWriter } from '../../src/core/output.js';
import { createPrepared, layOutPrepared, parsePrepared } from '../../src/ops/prepared.js';
import { makeCtx, runScript } from '../../src/tools/jfish/dispatch.js';
import { Sessions } from '../../src/tools/jfish/startup.js';
import { table } from '../../src/tools/jfish/table.js';

const root = process.getuid?.() === 0;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const jfishBundle = join(repo, 'dist/bundle/jfish.mjs');
let work = '';
let image = '';
let canaryDir = '';
let canary = '';
const CANARY = '10.66.66.66 canary-secret\n';
let savedTmp: string | undefined;

async function run(sessions: Sessions, lines: string[][], readonly = false): Promise<{ out: string; error?: string }> {
  const out = new BufferWriter();
  const ctx = makeCtx({ sessions, out, readonly, table });
  try {
    await runScript(ctx, lines);
    return { out: out.text() };
  } catch (e) {
    return { out: out.text(), error: oneLine(e) };
  }
}

/** augtool processes whose root is under this test's temp directory */
function augtools(): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes('augtool') && l.includes(work));
}

/** Augeas's private copies in this test's temp directory */
function copies(): string[] {
  return readdirSync(process.env.JOOT_TMPDIR!).filter((n) => n.startsWith('joot-augeas-'));
}

/** A session on a copy of the guest (or on `copy` itself), its filesystem mounted on /. */
async function withGuest(fn: (s: Sessions) => Promise<void>, keep?: string): Promise<void> {
  const copy = keep ?? join(work, `copy-${Math.random().toString(16).slice(2)}.img`);
  if (!keep) execFileSync('cp', ['--sparse=always', image, copy]);
  const sessions = new Sessions(() => new Session());
  sessions.addDrive(copy, { format: 'raw', readonly: false });
  try {
    await sessions.session.launch();
    expect((await run(sessions, [['mount', '/dev/sda1', '/']])).error).toBeUndefined();
    await fn(sessions);
  } finally {
    await sessions.close();
    if (!keep) rmSync(copy, { force: true });
  }
}

describe.skipIf(!root)('Augeas and a guest symlink to a host file', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'joot-augeas-hostile-'));
    savedTmp = process.env.JOOT_TMPDIR;
    process.env.JOOT_TMPDIR = join(work, 'tmp');
    mkdirSync(process.env.JOOT_TMPDIR);
    canaryDir = join(work, 'canary');
    mkdirSync(canaryDir);
    canary = join(canaryDir, 'hosts');
    writeFileSync(canary, CANARY);
    image = join(work, 'guest.img');
    const prepared = parsePrepared(`${image}=fs`, 0);
    const created: string[] = [];
    await createPrepared([{ prepared }], false, created);
    const sessions = new Sessions(() => new Session());
    sessions.addDrive(image, { format: 'raw', readonly: false });
    try {
      await layOutPrepared(sessions.session, [{ prepared }], created);
    } finally {
      await sessions.close();
    }
  }, 120_000);

  afterAll(() => {
    if (savedTmp === undefined) delete process.env.JOOT_TMPDIR;
    else process.env.JOOT_TMPDIR = savedTmp;
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const [kind, target] of [
    ['absolute', () => canary],
    ['relative', () => `../../../../../../..${canary}`],
  ] as const) {
    it(`a ${kind} link: the canary is never read nor written`, { timeout: 120_000 }, async () => {
      const before = statSync(canary);
      await withGuest(async (s) => {
        const r = await run(s, [
          ['mkdir', '/etc'],
          ['ln-s', target(), '/etc/hosts'],
          ['aug-init', '/', '0'],
        ]);
        expect(r.error).toBeUndefined();
        // not loaded: the link leads nowhere inside the guest
        expect((await run(s, [['aug-match', '/files/etc/hosts//*']])).out).toBe('');
        expect((await run(s, [['aug-match', '/files//*[. = "canary-secret"]']])).out).toBe('');
        const set = await run(s, [
          ['aug-set', '/files/etc/hosts/1/ipaddr', '10.0.0.1'],
          ['aug-set', '/files/etc/hosts/1/canonical', 'pwned'],
        ]);
        expect(set.error).toBeUndefined();
        // the guest has no directory the link leads to: saving fails, naming the guest path
        const save = await run(s, [['aug-save']]);
        expect(save.error).toMatch(/^[^\n]+$/);
        expect(save.error).not.toContain('canary-secret');
        // with the directory made inside the guest, the save lands there
        const guestDir = canaryDir;
        const r2 = await run(s, [['mkdir-p', guestDir], ['aug-save'], ['cat', canary]]);
        expect(r2.error).toBeUndefined();
        expect(r2.out).toBe('10.0.0.1\tpwned\n\n');
        expect((await run(s, [['is-symlink', '/etc/hosts']])).out).toBe('true\n');
        expect(augtools()).toHaveLength(1);
        expect((await run(s, [['aug-close']])).error).toBeUndefined();
        expect(augtools()).toEqual([]);
        expect(copies()).toEqual([]);
        // a handle left open is released by the session's close
        expect((await run(s, [['aug-init', '/', '0']])).error).toBeUndefined();
        expect(augtools()).toHaveLength(1);
      });
      expect(augtools()).toEqual([]);
      expect(copies()).toEqual([]);
      expect(readFileSync(canary, 'utf8')).toBe(CANARY);
      const after = statSync(canary);
      expect([after.mtimeMs, after.ino, after.size]).toEqual([before.mtimeMs, before.ino, before.size]);
      expect(readdirSync(canaryDir)).toEqual(['hosts']);
    });
  }

  it('reads on the userspace engine (jfish --ro); aug-save refused there', { timeout: 120_000 }, async () => {
    const copy = join(work, 'ro.img');
    execFileSync('cp', ['--sparse=always', image, copy]);
    await withGuest(async (s) => {
      expect(
        (
          await run(s, [
            ['mkdir', '/etc'],
            ['write', '/etc/hostname', 'ro.example.org'],
          ])
        ).error,
      ).toBeUndefined();
    }, copy);
    const sessions = new Sessions(() => new Session({ engine: 'userspace' }));
    sessions.addDrive(copy, { format: 'raw', readonly: true });
    try {
      await sessions.session.launch();
      const r = await run(
        sessions,
        [
          ['mount-ro', '/dev/sda1', '/'],
          ['aug-init', '/', '0'],
          ['aug-set', '/files/etc/hostname/hostname', 'changed'],
          ['aug-get', '/files/etc/hostname/hostname'],
        ],
        true,
      );
      expect(r).toEqual({ out: 'changed\n' });
      expect((await run(sessions, [['aug-save']], true)).error).toMatch(/read-only/);
      expect(augtools()).toHaveLength(1);
    } finally {
      await sessions.close();
    }
    expect(augtools()).toEqual([]);
    expect(copies()).toEqual([]);
    // jfish --ro itself: its sandbox is left for augtool (the run again), the reads work
    if (existsSync(jfishBundle)) {
      const out = execFileSync(
        jfish,
        ['--ro', '-a', copy, '-m', '/dev/sda1', 'aug-init', '/', '0', ':', 'aug-get', '/files/etc/hostname/hostname'],
        {
          encoding: 'utf8',
          env: { ...process.env, JOOT_RUN_DIR: join(work, 'run') },
        },
      );
      expect(out).toBe('ro.example.org\n');
      expect(augtools()).toEqual([]);
    }
  });

  it('a jfish killed with a handle open takes augtool with it', { timeout: 120_000, skip: !existsSync(jfishBundle) }, async () => {
    const copy = join(work, 'crash.img');
    execFileSync('cp', ['--sparse=always', image, copy]);
    // jfish reads its whole script first: the last line holds it (a host sleep) while the handle is open
    const nap = `${30 + Math.floor(Math.random() * 1000) / 100}`;
    const child = spawn(jfish, ['--ro', '-a', copy, '-m', '/dev/sda1'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, JOOT_RUN_DIR: join(work, 'run') },
    });
    const sleeper = (): number[] =>
      execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.trim().endsWith(`sleep ${nap}`))
        .map((l) => Number.parseInt(l, 10));
    try {
      child.stdin.end(`aug-init / 0\naug-match /augeas/root\n!exec sleep ${nap}\n`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer from jfish')), 90_000);
        child.stdout.on('data', (b: Buffer) => {
          if (b.toString().includes('/augeas/root')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', () => reject(new Error('jfish exited')));
      });
      expect(augtools()).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
      for (const pid of sleeper()) process.kill(pid, 'SIGKILL');
    }
    for (let i = 0; i < 40 && augtools().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(augtools()).toEqual([]);
    // the userspace engine keeps no session record: its copy is not reaped, the test removes it
    for (const c of copies()) rmSync(join(process.env.JOOT_TMPDIR!, c), { recursive: true, force: true });
  });

  it('a guest file that does not parse, and a bad path expression: one-line errors', { timeout: 120_000 }, async () => {
    await withGuest(async (s) => {
      const r = await run(s, [
        ['mkdir', '/etc'],
        ['write', '/etc/hosts.allow', 'garbage [[[\n'],
        ['aug-init', '/', '0'],
      ]);
      expect(r.error).toBeUndefined();
      const bad = await run(s, [['aug-get', '/files/etc/hosts.allow[(']]);
      expect(bad.error).toMatch(/^[^\n]+$/);
      const err = await run(s, [['aug-get', '/augeas/files/etc/hosts.allow/error/message']]);
      expect(err.out).toMatch(/^.+\n$/);
    });
  });
});
