// Resource hygiene, point 3: SIGINT, SIGTERM (and SIGHUP) release everything. A child node
// process holds a Session of the built dist/ code (qcow2 through qemu-storage-daemon FUSE + raw
// through loop, both mounted, in the host's mount namespace so a leaked mount would show here),
// prints READY and waits; the signal must make it exit 128+N and leave nothing. Then the same
// aimed at moments of the launch, and through the real CLI (bin/jfish), where a signal arrives
// while an external command of the launch is running — also as a terminal's ^C, which reaches
// the whole process group.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import {
  REPO,
  sandbox,
  scrub,
  sleep,
  SKIP,
  startChild as start,
  type Child,
  type ChildOptions,
  type ChildPlan,
  type Sandbox,
} from './hygiene-util.js';

// what this file checks is the kernel engine's (attach, mount, loop devices; exact sizes beyond
// 2^53, which the userspace readers refuse): the read-only tools' userspace default is set aside
process.env.JOOT_ENGINE = 'kernel';

const REAL_LOSETUP = ['/usr/sbin/losetup', '/sbin/losetup'].find((p) => existsSync(p)) ?? 'losetup';
const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

describe.skipIf(SKIP !== '')('hygiene: SIGINT / SIGTERM', () => {
  let box: Sandbox;
  let before: Snapshot;
  let qcow = '';
  let raw = '';
  let plan: ChildPlan;

  beforeAll(async () => {
    box = sandbox('signals');
    qcow = await box.copy('three.qcow2');
    raw = await box.copy('mbr.raw');
    plan = {
      drives: [
        { path: qcow, readonly: true },
        { path: raw, readonly: true },
      ],
      mounts: [
        { device: '/dev/sda1', mountpoint: '/' },
        { device: '/dev/sdb1', mountpoint: '/lost+found' },
      ],
      read: '/lost+found/hello.txt',
    };
  });

  // each test is judged on its own: what one leaks is scrubbed before the next
  beforeEach(async () => {
    before = await snapshot({ paths: [box.dir], runDir: box.run });
  });

  afterAll(() => box?.remove());

  // a child left running by a failed assertion is stopped, so the next test starts clean
  const children: Child[] = [];
  function startChild(dir: string, p: ChildPlan, o: ChildOptions): Child {
    const c = start(dir, p, o);
    children.push(c);
    return c;
  }
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill('SIGTERM');
        await c.exit;
      }
    }
    scrub(box.dir, { runDir: box.run });
  });

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${sig} after READY: exit ${EXIT[sig]}, nothing left`, async () => {
      const child = startChild(box.dir, plan, { runDir: box.run });
      const ready = await child.ready;
      expect(ready.text).toBe('hello from mbr\n');
      // really holding things (in this namespace) before the signal
      const holding = await snapshot({ paths: [box.dir], runDir: box.run });
      expect(holding.mounts.length).toBe(3); // the FUSE export, / and /lost+found
      expect(holding.loops.length).toBe(2);
      expect(holding.processes.length).toBe(1);
      expect(holding.records.length).toBe(1);
      process.kill(child.pid, sig);
      const exit = await child.exit;
      expect(exit, child.stderr()).toEqual({ code: EXIT[sig], signal: null });
      expect(child.stderr()).toContain(`joot: ${sig}, releasing disks`);
      await expectNoLeftovers(before, { timeoutMs: 500 });
    });
  }

  it('two SIGINTs in a row: the second does not cut the release short', async () => {
    const child = startChild(box.dir, plan, { runDir: box.run });
    await child.ready;
    process.kill(child.pid, 'SIGINT');
    await sleep(2);
    process.kill(child.pid, 'SIGINT');
    process.kill(child.pid, 'SIGTERM');
    expect(await child.exit).toEqual({ code: 130, signal: null });
    await expectNoLeftovers(before, { timeoutMs: 500 });
  });

  describe('a signal during launch', () => {
    const outcomes: string[] = [];
    afterAll(() => console.log(`hygiene: signal during launch: ${outcomes.join(', ')}`));
    for (const at of [0, 10, 20, 30, 40, 50, 65, 80, 100, 130]) {
      it(`SIGINT ${at} ms after the launch started`, async () => {
        const child = startChild(box.dir, plan, { runDir: box.run });
        await child.started;
        await sleep(at);
        process.kill(child.pid, 'SIGINT');
        const exit = await child.exit;
        outcomes.push(`${at} ms: ${exit.code ?? exit.signal}${/^READY/m.test(child.stdout()) ? ' (was ready)' : ''}`);
        // before the session has anything to release, node's default action may still apply
        if (exit.signal === null) expect(exit.code, child.stderr()).toBe(130);
        else expect(exit.signal).toBe('SIGINT');
        await expectNoLeftovers(before, { timeoutMs: 500 });
      });
    }
  });

  describe('through bin/jfish', () => {
    const jfish = join(REPO, 'bin/jfish');
    const script = (q: string, r: string) => [
      '-v',
      '--ro',
      '-a',
      q,
      '-a',
      r,
      'run',
      ':',
      'mount-ro',
      '/dev/sda1',
      '/',
      ':',
      'mount-ro',
      '/dev/sdb1',
      '/lost+found',
      ':',
      'cat',
      '/lost+found/hello.txt',
      ':',
      'cat',
      '/one.txt',
    ];

    /** Run jfish; send `sig` once a traced command line matching `when` shows on stderr. */
    async function interrupt(
      when: RegExp,
      sig: NodeJS.Signals,
      opts: { group?: boolean; env?: Record<string, string>; delayMs?: number } = {},
    ) {
      const env = { ...process.env, JOOT_RUN_DIR: box.run, ...opts.env };
      const p = spawn(jfish, script(qcow, raw), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.group });
      let err = '';
      let out = '';
      let sent = false;
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (!sent && when.test(err)) {
          sent = true;
          const send = () => process.kill(opts.group ? -p.pid! : p.pid!, sig);
          if (opts.delayMs) setTimeout(send, opts.delayMs);
          else send();
        }
      });
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
        p.on('exit', (code, signal) => res({ code, signal })),
      );
      return { exit, err, out, sent };
    }

    const points: [string, RegExp][] = [
      ['qemu-img info', /joot: qemu-img info/],
      ['qemu-storage-daemon start', /joot: qemu-storage-daemon .*&\n/],
      ['losetup', /joot: losetup .*disk0/],
      ['partx -a', /joot: partx -a/],
      ['blkid', /joot: blkid/],
      ['the first mount', /joot: mount -t/],
      ['the second mount', /joot: mount -t[^\n]*\n(.*\n)*joot: mount -t/],
    ];
    for (const [what, when] of points) {
      it(`SIGINT while ${what} runs (private mount namespace, as launched by the shim)`, async () => {
        const r = await interrupt(when, 'SIGINT');
        expect(r.sent, r.err).toBe(true);
        expect(r.exit, r.err).toEqual({ code: 130, signal: null });
        await expectNoLeftovers(before, { timeoutMs: 500 });
      });
    }

    for (const [what, when] of points.filter((_, i) => i % 2 === 1)) {
      it(`SIGTERM while ${what} runs, without a private namespace (JOOT_NO_UNSHARE=1)`, async () => {
        const r = await interrupt(when, 'SIGTERM', { env: { JOOT_NO_UNSHARE: '1' } });
        expect(r.sent, r.err).toBe(true);
        expect(r.exit, r.err).toEqual({ code: 143, signal: null });
        await expectNoLeftovers(before, { timeoutMs: 500 });
      });
    }

    for (const [what, when] of points.slice(1)) {
      it(`a terminal's ^C (SIGINT to the whole process group) while ${what} runs`, async () => {
        const r = await interrupt(when, 'SIGINT', { group: true, env: { JOOT_NO_UNSHARE: '1' } });
        expect(r.sent, r.err).toBe(true);
        expect(r.exit, r.err).toEqual({ code: 130, signal: null });
        await expectNoLeftovers(before, { timeoutMs: 500 });
      });
    }

    it("a terminal's ^C between losetup attaching a device and reporting it: the device is still released", async () => {
      // losetup slowed down after its attach (a shim first in PATH): the ^C lands in the window
      // in which only losetup knows the device. It must finish and say which one, or the loop
      // device stays attached with no record of it.
      const shims = join(box.dir, 'shims');
      mkdirSync(shims, { recursive: true });
      writeFileSync(
        join(shims, 'losetup'),
        `#!/bin/sh\ncase "$*" in *--show*) out=$(${REAL_LOSETUP} "$@") || exit; sleep 1; echo "$out" ;; *) exec ${REAL_LOSETUP} "$@" ;; esac\n`,
        { mode: 0o755 },
      );
      const env = { JOOT_NO_UNSHARE: '1', PATH: `${shims}:${process.env.PATH}` };
      const r = await interrupt(/joot: losetup .*--show/, 'SIGINT', { group: true, env, delayMs: 500 });
      expect(r.sent, r.err).toBe(true);
      expect(r.exit, r.err).toEqual({ code: 130, signal: null });
      await expectNoLeftovers(before, { timeoutMs: 500 });
    });
  });
});
