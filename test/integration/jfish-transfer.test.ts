// jfish's transfer commands end to end: the real bin/jfish on a COPY of fixture('sample.raw')
// (p2 ext4 'root' with /hello.txt). Runs against the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish transfer integration tests: ${skipReason}`);

let dir = '';
let img = '';

function run(args: string[], opts: { input?: string; cwd?: string } = {}) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, timeout: 120_000, ...opts });
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const HELLO = 'Hello from the joot sample image!\n';
const M = ['-a', '', 'run', ':', 'mount', '/dev/sda2', '/'];
const mount = () => M.map((w) => (w === '' ? img : w));

function describeTree(d: string): string[] {
  return readdirSync(d, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(d, e.name);
      const st = lstatSync(p);
      const what = e.isSymbolicLink() ? `-> ${readlinkSync(p)}` : e.isFile() ? sha(readFileSync(p)) : '';
      const line = `${e.name} ${(st.mode & 0o170777).toString(8)} ${what}`;
      return e.isDirectory() ? [line, ...describeTree(p).map((x) => `${e.name}/${x}`)] : [line];
    });
}

describe.skipIf(skipReason !== '')('jfish transfer commands', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-transfer-'));
    img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('download /hello.txt - writes the file to stdout', async () => {
    const r = await run(['--ro', ...mount(), ':', 'download', '/hello.txt', '-']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(HELLO);
  });

  it('upload then download round-trips (sha256), from a file and from stdin', async () => {
    const data = Buffer.alloc(1536 * 1024 + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
    writeFileSync(join(dir, 'up.bin'), data);
    const w = await run([...mount(), ':', 'upload', 'up.bin', '/srv/up.bin', ':', 'upload', '-', '/srv/stdin.txt'], {
      cwd: dir,
      input: 'piped\n',
    });
    expect(w.stderr).toBe('');
    expect(w.exitCode).toBe(0);
    const r = await run([
      '--ro',
      ...mount(),
      ':',
      'download',
      '/srv/up.bin',
      join(dir, 'down.bin'),
      ':',
      'download',
      '/srv/stdin.txt',
      '-',
    ]);
    expect(r.stderr).toBe('');
    expect(sha(readFileSync(join(dir, 'down.bin')))).toBe(sha(data));
    expect(r.stdout).toBe('piped\n');
  });

  it('copy-in of a host tree, then copy-out back, is identical', async () => {
    const t = join(dir, 'tree');
    mkdirSync(join(t, 'sub'), { recursive: true });
    writeFileSync(join(t, 'a.txt'), 'A\n');
    writeFileSync(join(t, 'sub/run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(t, 'sub/run.sh'), 0o750);
    symlinkSync('/etc/shadow', join(t, 'shadow'));
    symlinkSync('../a.txt', join(t, 'sub/rel'));
    const w = await run([...mount(), ':', 'mkdir-p', '/srv/in', ':', 'copy-in', t, '/srv/in']);
    expect(w.stderr).toBe('');
    expect(w.exitCode).toBe(0);
    const back = join(dir, 'back');
    mkdirSync(back);
    const r = await run(['--ro', ...mount(), ':', 'copy-out', '/srv/in/tree', back, ':', 'copy-out', '/bin', back]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(describeTree(join(back, 'tree'))).toEqual(describeTree(t));
    // a guest symlink comes out as a link, verbatim
    expect(readlinkSync(join(back, 'bin'))).toBe('usr/bin');
    expect(readlinkSync(join(back, 'tree/shadow'))).toBe('/etc/shadow');
    expect(statSync(join(back, 'tree/sub/run.sh')).mode & 0o777).toBe(0o750);
  });

  it('refuses upload with --ro, in one line', async () => {
    const r = await run(['--ro', ...mount(), ':', 'upload', join(dir, 'up.bin'), '/srv/x']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: upload: /srv/x: the session is read-only\n');
  });
});
