// Errors that carry facts: a failed command's error keeps what ran, how it ended and what it
// said as fields (the message stays the one line users see); and the one runner's spawn entries
// (run, spawnProcess, startCommand) give every program the same environment policy and trace.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JootError, STDERR_TAIL, isMissingProgram } from '../../src/core/errors.js';
import { commandError, envFor, run, setVerbose, spawnProcess, startCommand } from '../../src/core/run.js';
import { heldByQemu, imageInUse, saysImageLocked } from '../../src/appliance/qemu-lock.js';

async function rejection(p: Promise<unknown>): Promise<JootError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof JootError)) throw new Error(`expected a JootError, got ${String(e)}`);
  return e;
}

describe('JootError facts', () => {
  it('has only the facts it was given, and keeps them when told in other words', () => {
    const plain = new JootError('EINVAL', 'x: bad');
    expect(Object.keys(plain)).toEqual(['code', 'name']);
    expect(plain.facts()).toEqual({});
    const cause = new Error('inner');
    const e = new JootError('ECMD', 'tool failed (exit 2): oops', { cause, command: ['tool', '-x'], exitCode: 2, stderr: 'oops\n' });
    const again = e.withMessage('/dev/sda1: tool failed (exit 2): oops', 'EBUSY');
    expect(again).toMatchObject({ code: 'EBUSY', command: ['tool', '-x'], exitCode: 2, stderr: 'oops\n' });
    expect(again.message).toBe('/dev/sda1: tool failed (exit 2): oops');
    expect(again.cause).toBe(cause);
  });

  it('keeps a bounded tail of stderr', () => {
    const e = new JootError('ECMD', 'x', { stderr: `${'a'.repeat(STDERR_TAIL)}END` });
    expect(e.stderr).toHaveLength(STDERR_TAIL);
    expect(e.stderr?.endsWith('END')).toBe(true);
  });

  it('commandError: the one-line message, and the same as fields', () => {
    const e = commandError({ command: 'mke2fs -q /dev/x', argv: ['mke2fs', '-q', '/dev/x'], exitCode: 1, stdout: '', stderr: 'a\nb\n' });
    expect(e.message).toBe('mke2fs failed (exit 1): a; b');
    expect(e).toMatchObject({ code: 'ECMD', command: ['mke2fs', '-q', '/dev/x'], exitCode: 1, stderr: 'a\nb\n' });
  });
});

describe('run: failures as facts', () => {
  it('a non-zero exit', async () => {
    const e = await rejection(run('sh', ['-c', 'echo first >&2; echo why >&2; exit 3']));
    expect(e.message).toBe('sh failed (exit 3): first; why');
    expect(e).toMatchObject({ code: 'ECMD', command: ['sh', '-c', 'echo first >&2; echo why >&2; exit 3'], exitCode: 3 });
    expect(e.stderr).toBe('first\nwhy\n');
    expect(isMissingProgram(e)).toBe(false);
  });

  it('a program that is not installed: spawn ENOENT, as a field', async () => {
    const e = await rejection(run('joot-no-such-program', ['a']));
    expect(e.message).toMatch(/^joot-no-such-program: /);
    expect(e).toMatchObject({ code: 'ECMD', command: ['joot-no-such-program', 'a'], spawnErrno: 'ENOENT' });
    expect(e.exitCode).toBeUndefined();
    expect(isMissingProgram(e)).toBe(true);
  });

  it('a timeout', async () => {
    const e = await rejection(run('sleep', ['5'], { timeoutMs: 50 }));
    expect(e.message).toBe('sleep: timed out after 50 ms');
    expect(e).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    expect(isMissingProgram(e)).toBe(false);
  });
});

describe('the environment policy', () => {
  it("C locale over joot's environment by default; 'inherit' leaves the locale alone; extendEnv false gives only env", () => {
    const saved = process.env.LC_ALL;
    process.env.LC_ALL = 'de_DE.UTF-8';
    try {
      expect(envFor({ env: { X: '1' } })).toMatchObject({ LC_ALL: 'C', LANG: 'C', X: '1', PATH: process.env.PATH });
      expect(envFor({ locale: 'inherit' }).LC_ALL).toBe('de_DE.UTF-8');
      expect(envFor({ locale: 'inherit', extendEnv: false, env: { TERM: 'xterm' } })).toEqual({ TERM: 'xterm' });
      expect(envFor({ extendEnv: false })).toEqual({ LC_ALL: 'C', LANG: 'C', LVM_SUPPRESS_FD_WARNINGS: '1' });
    } finally {
      if (saved === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = saved;
    }
  });
});

describe('spawnProcess and startCommand', () => {
  afterEach(() => {
    setVerbose(false);
    vi.restoreAllMocks();
  });

  it('trace under -v, in the C locale unless told otherwise', async () => {
    setVerbose(true);
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const out = async (locale?: 'C' | 'inherit') => {
      const child = spawnProcess('sh', ['-c', 'echo "$LC_ALL"'], { stdio: ['ignore', 'pipe', 'ignore'], locale, env: { LC_ALL: 'x' } });
      let text = '';
      child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
      await new Promise((r) => child.on('close', r));
      return text.trim();
    };
    expect(await out()).toBe('x'); // env is over the C locale
    const { child } = await startCommand('true', [], { traceAs: 'the true program', reject: false });
    expect((await child).exitCode).toBe(0);
    expect(lines).toEqual(['joot: sh -c \'echo "$LC_ALL"\'\n', 'joot: the true program\n']);
  });
});

describe('the qemu image lock: decided in one place', () => {
  it("knows qemu's words, not just any 'lock'", () => {
    expect(saysImageLocked('Failed to get "write" lock')).toBe(true);
    expect(saysImageLocked('qemu-img: Could not open \'/x\': Failed to get shared "write" lock')).toBe(true);
    expect(saysImageLocked('Failed to lock byte 100')).toBe(true);
    expect(saysImageLocked('Is another process using the image [/x]?')).toBe(true);
    expect(saysImageLocked("Could not open '/srv/blocks/disk.img': No such file or directory")).toBe(false);
  });

  it('says EBUSY, in use by another process, with the facts', () => {
    const e = imageInUse('disk.qcow2', 'Failed to get "write" lock', { command: ['qemu-nbd'], exitCode: 1 });
    expect(e).toMatchObject({ code: 'EBUSY', message: 'disk.qcow2: in use by another process (Failed to get "write" lock)', exitCode: 1 });
    expect(imageInUse('disk.qcow2', 'Image is not in qcow2 format')).toBeUndefined();
    expect(heldByQemu('d.raw', 'a qemu process has it open for writing').message).toBe(
      'd.raw: in use by another process (a qemu process has it open for writing)',
    );
  });
});
