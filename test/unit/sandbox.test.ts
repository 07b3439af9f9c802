// The read-only tools' sandbox, rootless parts: which jfish runs stay in it, the one line a
// refused read gives, leaveSandbox outside it, and the flags bin/launch.sh computes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JootError, oneLine } from '../../src/core/errors.js';
import { isLeaveSandbox, leaveSandbox, readableHere, sandboxed } from '../../src/core/sandbox.js';
import { sandboxMisfit, type RunShape } from '../../src/tools/jfish/sandbox-fit.js';
import { table } from '../../src/tools/jfish/table.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');

describe('jfish --ro runs that stay in the sandbox', () => {
  const shape = (commands: string[][], over: Partial<RunShape> = {}): RunShape => ({
    readonly: true,
    listen: false,
    interactive: false,
    scriptFile: false,
    commands,
    ...over,
  });
  const misfit = (commands: string[][], over: Partial<RunShape> = {}) => sandboxMisfit(table, shape(commands, over));

  it('read-only commands with output to stdout stay', () => {
    expect(
      misfit([
        ['cat', '/etc/hostname'],
        ['ls', '/'],
        ['tar-out', '/usr', '-'],
        ['download', '/x', '-'],
      ]),
    ).toBeUndefined();
    expect(misfit([['tar-out', '/usr', '-', 'compress:gzip']])).toBeUndefined();
    expect(misfit([['inspect-os']])).toBeUndefined();
  });

  it('host files, programs, images and open-ended input leave', () => {
    expect(
      misfit([
        ['cat', '/a'],
        ['download', '/x', '/tmp/x'],
      ]),
    ).toBe('download with a host file');
    expect(misfit([['tar-out', '/usr', 'out.tar']])).toBe('tar-out with a host file');
    expect(misfit([['tar-out', '/usr', '-', 'compress:xz']])).toBe('tar-out compress:xz');
    expect(misfit([['copy-out', '/etc', '/tmp']])).toBe('the command copy-out');
    expect(misfit([['add-ro', '/tmp/other.img']])).toBe('the command add-ro');
    expect(misfit([['lcd', '/tmp']])).toBe('the command lcd');
    expect(misfit([['disk-create', 'new.img', 'raw', '10M']])).toBe('the command disk-create');
    expect(misfit([['download-offset', '/x', 'out.bin', '0', '10']])).toBe('download-offset with a host file');
    expect(misfit([], { scriptFile: true })).toBe('a script');
    expect(misfit([], { interactive: true })).toBe('the interactive shell');
    expect(misfit([], { listen: true })).toBe('a --listen session');
    expect(misfit([['cat', '/a']], { readonly: false })).toBe('a read-write session');
  });

  it('a typo is left for the run to report before anything is opened', () => {
    expect(misfit([['no-such-command']])).toBeUndefined();
  });
});

describe('outside the sandbox', () => {
  it('leaveSandbox does nothing and every path is readable', () => {
    expect(sandboxed()).toBe(false);
    expect(() => leaveSandbox('anything')).not.toThrow();
    expect(readableHere('/etc/hostname')).toBe(true);
    expect(isLeaveSandbox(new JootError('ESANDBOX', 'x'))).toBe(true);
    expect(isLeaveSandbox(new JootError('EPERM', 'x'))).toBe(false);
  });
});

describe('a read the sandbox refused', () => {
  const denied = Object.assign(new Error('Access to this API has been restricted'), {
    code: 'ERR_ACCESS_DENIED',
    permission: 'FileSystemRead',
    resource: '/home/u/.ssh/id_ed25519',
  });
  const line = "/home/u/.ssh/id_ed25519: access refused by joot's sandbox (Node's permission model; JOOT_NO_SANDBOX=1 turns it off)";

  it('is one line naming the path, also when wrapped', () => {
    expect(oneLine(denied)).toBe(line);
    expect(oneLine(new JootError('EIO', 'disk.img: cannot open (ERR_ACCESS_DENIED)', { cause: denied }))).toBe(line);
  });
});

describe("bin/launch.sh's sandbox flags", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'joot-sandbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The node command line the shim would exec (node replaced by a printer). */
  function nodeArgs(args: string[], env: NodeJS.ProcessEnv = {}, uid = 1000): string[] {
    const fake = path.join(dir, 'fakebin');
    mkdirSync(fake, { recursive: true });
    writeFileSync(path.join(fake, 'node'), '#!/bin/sh\nfor a; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    // as root the shim unshares: the fake prints its own name and runs the rest
    writeFileSync(path.join(fake, 'unshare'), '#!/bin/sh\necho unshare\nshift 3\nexec "$@"\n', { mode: 0o755 });
    writeFileSync(path.join(fake, 'id'), `#!/bin/sh\necho ${uid}\n`, { mode: 0o755 });
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'dist', 'bundle'), { recursive: true });
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    writeFileSync(path.join(root, 'dist', 'bundle', 'jinspect.cjs'), '');
    execFileSync('cp', [path.join(REPO, 'bin', 'launch.sh'), path.join(REPO, 'bin', 'jinspect'), path.join(root, 'bin')]);
    const out = execFileSync(path.join(root, 'bin', 'jinspect'), args, {
      cwd: dir,
      env: { PATH: `${fake}:/usr/bin:/bin`, HOME: '/nonexistent-home', ...env },
      encoding: 'utf8',
    });
    return out.split('\n').slice(0, -1);
  }

  const img = path.join(dir, 'disk.img');
  writeFileSync(img, 'x');
  writeFileSync(path.join(dir, 'a,b.img'), 'x');
  symlinkSync(img, path.join(dir, 'link.img'));
  const cache = path.join(dir, 'root', 'dist', 'bundle', 'jinspect-code.cjs.1.2.cache');

  it('runs the first time (no code cache yet) without it, to write the cache', () => {
    rmSync(cache, { force: true });
    expect(nodeArgs([img])).toEqual([`${dir}/root/bin/../dist/bundle/jinspect.cjs`, img]);
  });

  it('allows reading the files the arguments name (each path once), its code and the configuration', () => {
    writeFileSync(cache, '');
    const given = ['-v', '--format=raw', img, 'disk.img', `${dir}//disk.img`, '--opt=link.img', 'a,b.img', 'missing.img', '--', img];
    const args = nodeArgs(given, { JOOT_CONFIG: '/etc/my-joot.cfg', HOME: '/nonexistent-home/' });
    const root = `${dir}/root/bin/..`;
    expect(args).toEqual([
      '--experimental-permission',
      '--disable-warning=ExperimentalWarning',
      '--disable-warning=SecurityWarning',
      '--allow-child-process',
      `--allow-fs-read=${root}/dist/`,
      `--allow-fs-read=${root}/package.json`,
      `--allow-fs-read=${root}/node_modules/`,
      `--allow-fs-read=${img}`, // also disk.img, ${dir}//disk.img and link.img's target: node aborts on a repeat
      `--allow-fs-read=${dir}/link.img`,
      '--allow-fs-read=/etc/my-joot.cfg',
      '--allow-fs-read=/nonexistent-home/.joot',
      '--allow-fs-read=/etc/joot.cfg',
      `${root}/dist/bundle/jinspect.cjs`,
      ...given, // a,b.img: node 20 would split it at the comma; left out, the tool runs again if it must
    ]);
  });

  it('with JOOT_RO_FILE_OPTS (jfish), only those options name files: a guest path that exists on the host is not allowed', () => {
    writeFileSync(cache, '');
    const given = ['--ro', '-a', img, 'cat', '/etc/hostname', '--opt=/etc/hostname'];
    const args = nodeArgs(given, { JOOT_RO_FILE_OPTS: '-a --add -f --file' });
    expect(args).toContain(`--allow-fs-read=${img}`);
    expect(args).not.toContain('--allow-fs-read=/etc/hostname');
  });

  it('JOOT_NO_SANDBOX=1, the kernel engine and keys from stdin run without it', () => {
    writeFileSync(cache, '');
    const plain = (...args: string[]) => [`${dir}/root/bin/../dist/bundle/jinspect.cjs`, ...args];
    expect(nodeArgs([img], { JOOT_NO_SANDBOX: '1' })).toEqual(plain(img));
    expect(nodeArgs([img], { JOOT_ENGINE: 'kernel' })).toEqual(plain(img));
    expect(nodeArgs(['--engine', 'kernel', img])).toEqual(plain('--engine', 'kernel', img));
    expect(nodeArgs(['--engine=kernel', img])).toEqual(plain('--engine=kernel', img));
    expect(nodeArgs(['--keys-from-stdin', img])).toEqual(plain('--keys-from-stdin', img));
    expect(nodeArgs(['--engine=userspace', img])).toContain('--experimental-permission');
  });

  it('as root, only the run outside the sandbox gets a private mount namespace (the sandboxed one mounts nothing)', () => {
    writeFileSync(cache, '');
    expect(nodeArgs([img], {}, 0)).not.toContain('unshare');
    expect(nodeArgs([img], {}, 0)).toContain('--experimental-permission');
    expect(nodeArgs([img], { JOOT_NO_SANDBOX: '1' }, 0)).toEqual(['unshare', `${dir}/root/bin/../dist/bundle/jinspect.cjs`, img]);
  });
});
