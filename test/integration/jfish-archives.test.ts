// jfish cpio-out, checksums-out, checksum-device, base64-in/-out and tgz-in/txz-in end to end:
// the real bin/jfish on a COPY of fixture('sample.raw') (p2 ext4 'root'), each read on both
// engines (the kernel engine, and --ro: the userspace engine), checked against the host's own
// cpio, sha256sum, md5sum and base64 (test-only use of host tools, on host temp dirs), and hostile
// archives that must write nothing outside the target directory, in the guest or on the host.
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
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
if (skipReason) console.log(`skipping jfish archive integration tests: ${skipReason}`);

let dir = '';
let img = '';

function run(args: string[], opts: { input?: string | Buffer; encoding?: 'buffer' } = {}) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, timeout: 120_000, ...opts });
}
const mount = () => ['-a', img, 'run', ':', 'mount', '/dev/sda2', '/'];
/** the kernel engine, then the userspace engine (--ro) */
const ENGINES: [string, string[]][] = [
  ['kernel', []],
  ['userspace', ['--ro']],
];

/** Mount the copy's p2 on the host for `fn` (test-only: make the guest tree and read it with
 *  the host's tools, independently of jfish); the loop device goes with the umount. */
async function onHost<T>(fn: (m: string) => T | Promise<T>, ro = false): Promise<T> {
  const part = (
    JSON.parse(execFileSync('sfdisk', ['-J', img], { encoding: 'utf8' })) as {
      partitiontable: { sectorsize?: number; partitions: { start: number }[] };
    }
  ).partitiontable;
  const m = mkdtempSync(join(dir, 'mnt-'));
  execFileSync('mount', ['-o', `loop,offset=${part.partitions[1]!.start * (part.sectorsize ?? 512)}${ro ? ',ro' : ''}`, img, m]);
  try {
    return await fn(m);
  } finally {
    execFileSync('umount', [m]);
    rmSync(m, { recursive: true, force: true });
  }
}

/** `cpio -itv` of an archive, one line per member, sorted; hard-linked files' sizes left out
 *  (GNU cpio stores the data with the last name, jfish with the first). */
function cpioList(archive: string): string[] {
  const out = execFileSync('sh', ['-c', 'cpio -itv --quiet < "$1"', 'sh', archive], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(/\s+/);
      if (f[0]!.startsWith('-') && Number(f[1]) > 1) f[4] = '*';
      return f.join(' ');
    })
    .sort();
}

describe.skipIf(skipReason !== '')('jfish archive and checksum transfers', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-archives-'));
    img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
    // a tree with every kind of node, odd names and a hard link, made with the host's tools
    await onHost((m) => {
      const t = join(m, 'srv/t');
      mkdirSync(join(t, 'sub/deep'), { recursive: true });
      writeFileSync(join(t, 'f'), 'hello\n');
      writeFileSync(join(t, 'sub/deep/g'), Buffer.alloc(70_000, 7));
      writeFileSync(join(t, 'new\nline'), 'n\n');
      writeFileSync(join(t, 'back\\slash'), 'b\n');
      writeFileSync(join(t, 'empty'), '');
      execFileSync('ln', [join(t, 'f'), join(t, 'hard')]);
      symlinkSync('f', join(t, 'l'));
      symlinkSync('/etc/hostname', join(t, 'abs'));
      execFileSync('mkfifo', [join(t, 'p')]);
      execFileSync('mknod', [join(t, 'c'), 'c', '1', '3']);
      execFileSync('chmod', ['4755', join(t, 'f')]);
      execFileSync('touch', ['-h', '-d', '2024-01-02 03:04:05', join(t, 'l')]);
    });
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cpio-out: what cpio -itv lists matches GNU cpio on the host, on both engines; cpio -i extracts it', async () => {
    const gnu = join(dir, 'gnu.cpio');
    await onHost((m) => {
      execFileSync('sh', ['-c', 'cd "$1" && find -print0 | cpio --quiet -o -0 -H newc > "$2"', 'sh', join(m, 'srv/t'), gnu]);
    }, true);
    const want = cpioList(gnu);
    for (const [engine, flags] of ENGINES) {
      const mine = join(dir, `${engine}.cpio`);
      const r = await run([...flags, ...mount(), ':', 'cpio-out', '/srv/t', mine]);
      expect(r.stderr, engine).toBe('');
      expect(r.exitCode, engine).toBe(0);
      expect(cpioList(mine), engine).toEqual(want);
      expect(readFileSync(mine).length % 512, engine).toBe(0);
    }
    // to standard output: the same bytes
    const s = await run([...mount(), ':', 'cpio-out', '/srv/t', '-'], { encoding: 'buffer' });
    expect(Buffer.from(s.stdout as unknown as Uint8Array).equals(readFileSync(join(dir, 'kernel.cpio')))).toBe(true);

    const x = join(dir, 'cpio-x');
    mkdirSync(x);
    execFileSync('sh', ['-c', 'cd "$1" && cpio -idm --quiet --no-absolute-filenames < "$2"', 'sh', x, join(dir, 'userspace.cpio')]);
    expect(readFileSync(join(x, 'f'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(x, 'hard'), 'utf8')).toBe('hello\n');
    expect(lstatSync(join(x, 'hard')).ino).toBe(lstatSync(join(x, 'f')).ino);
    expect(readlinkSync(join(x, 'abs'))).toBe('/etc/hostname');
    expect(readFileSync(join(x, 'sub/deep/g')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(lstatSync(join(x, 'p')).isFIFO()).toBe(true);
    expect(lstatSync(join(x, 'f')).mode & 0o7777).toBe(0o4755);

    // format:crc: GNU cpio checks every file's sum as it extracts
    const crc = join(dir, 'crc.cpio');
    expect((await run(['--ro', ...mount(), ':', 'cpio-out', '/srv/t', crc, 'format:crc'])).exitCode).toBe(0);
    const cx = join(dir, 'crc-x');
    mkdirSync(cx);
    const c = execa('sh', ['-c', 'cd "$1" && cpio -idm --no-absolute-filenames < "$2"', 'sh', cx, crc], { reject: false });
    const cr = await c;
    expect(cr.stderr).not.toMatch(/checksum error/);
    expect(cr.exitCode).toBe(0);
  });

  it('checksums-out: the lines find | xargs sha256sum prints on the host, on both engines', async () => {
    const want = await onHost(
      (m) =>
        execFileSync('sh', ['-c', 'cd "$1" && find -type f -print0 | xargs -0 sha256sum', 'sh', join(m, 'srv/t')], { encoding: 'utf8' })
          .split(/(?<=\n)/)
          .sort(),
      true,
    );
    expect(want.some((l) => l.startsWith('\\') && l.includes('./new\\nline'))).toBe(true);
    for (const [engine, flags] of ENGINES) {
      const r = await run([...flags, ...mount(), ':', 'checksums-out', 'sha256', '/srv/t', '-']);
      expect(r.stderr, engine).toBe('');
      expect(r.exitCode, engine).toBe(0);
      expect(
        String(r.stdout)
          .split(/(?<=\n)/)
          .sort(),
        engine,
      ).toEqual(want);
    }
    const crc = await run(['--ro', ...mount(), ':', 'checksums-out', 'crc', '/srv/t', join(dir, 'sums')]);
    expect(crc.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'sums'), 'utf8')).toMatch(/^3015617425 6 \.\/f$/m);
  });

  it("checksum-device: the host's md5sum of the image, on both engines; of the ISO fixture too", async () => {
    const md5 = (f: string) => execFileSync('md5sum', [f], { encoding: 'utf8' }).split(' ')[0];
    for (const [engine, flags] of ENGINES) {
      const r = await run([...flags, '-a', img, 'run', ':', 'checksum-device', 'md5', '/dev/sda']);
      expect(r.stdout, engine).toBe(`${md5(img)}\n`);
    }
    const iso = await fixture('guestfs-test.iso');
    const r = await run(['--ro', '-a', iso, 'run', ':', 'checksum-device', 'md5', '/dev/sda']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${md5(iso)}\n`);
  });

  it("base64-out is the host's base64 on both engines; base64-in decodes it back", async () => {
    const big = Buffer.alloc(300_001);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 9)) & 0xff;
    writeFileSync(join(dir, 'big.bin'), big);
    const w = await run([...mount(), ':', 'upload', join(dir, 'big.bin'), '/srv/big.bin']);
    expect(w.exitCode).toBe(0);
    const want = execFileSync('base64', [join(dir, 'big.bin')], { encoding: 'utf8' });
    for (const [engine, flags] of ENGINES) {
      const r = await run([...flags, ...mount(), ':', 'base64-out', '/srv/big.bin', '-']);
      expect(r.exitCode, engine).toBe(0);
      expect(r.stdout === want, engine).toBe(true);
    }
    writeFileSync(join(dir, 'big.b64'), want);
    const i = await run([...mount(), ':', 'base64-in', join(dir, 'big.b64'), '/srv/back.bin', ':', 'checksum', 'md5', '/srv/back.bin']);
    expect(i.exitCode).toBe(0);
    expect(i.stdout).toBe(`${execFileSync('md5sum', [join(dir, 'big.bin')], { encoding: 'utf8' }).split(' ')[0]}\n`);
  });

  it('base64-in never writes through a guest link to the host', async () => {
    const host = join(dir, 'host-target');
    mkdirSync(host);
    writeFileSync(join(dir, 'x.b64'), 'cHduZWQK\n');
    // a guest link to the host directory's path: inside the guest it names a missing directory
    const r = await run([...mount(), ':', 'ln-s', host, '/srv/escape', ':', 'base64-in', join(dir, 'x.b64'), '/srv/escape/owned']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^jfish: base64-in: .*No such file or directory\n$/);
    expect(existsSync(join(host, 'owned'))).toBe(false);
  });

  it('tgz-in / txz-in: hostile members write nothing outside the target, in the guest or on the host', async () => {
    const canary = join(dir, 'canary');
    mkdirSync(canary);
    writeFileSync(join(canary, 'keep'), 'canary\n');
    // members no tar tool writes on purpose: made with Python's tarfile
    const py = `
import io, sys, tarfile
def add(t, name, data=b'pwned\\n', kind=tarfile.REGTYPE, link=''):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link
    if kind == tarfile.REGTYPE:
        i.size = len(data); t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
with tarfile.open(sys.argv[1], 'w:' + sys.argv[2]) as t:
    add(t, 'ok', b'fine\\n')
    add(t, '../../../../../../..' + sys.argv[3] + '/dotdot')
    add(t, sys.argv[3] + '/absolute')
    add(t, 'esc', kind=tarfile.SYMTYPE, link=sys.argv[3])
    add(t, 'esc/through')
    add(t, 'up', kind=tarfile.SYMTYPE, link='../../../..')
    add(t, 'up/' + sys.argv[3].lstrip('/') + '/via-up')
    add(t, 'hl', kind=tarfile.LNKTYPE, link='../../../../etc/hostname')
`;
    for (const [cmd, mode, ext] of [
      ['tgz-in', 'gz', 'tgz'],
      ['txz-in', 'xz', 'txz'],
    ] as const) {
      const archive = join(dir, `hostile.${ext}`);
      execFileSync('python3', ['-c', py, archive, mode, canary]);
      const target = `/srv/${ext}`;
      const r = await run([...mount(), ':', 'mkdir', target, ':', cmd, archive, target]);
      expect(r.exitCode, cmd).toBe(1);
      expect(r.stderr, cmd).toMatch(/could not be extracted/);
      const g = await run(['--ro', ...mount(), ':', 'cat', `${target}/ok`, ':', 'cat', '/etc/hostname', ':', 'find', '/']);
      expect(g.exitCode, cmd).toBe(0);
      const lines = String(g.stdout).split('\n');
      expect(lines.slice(0, 4), cmd).toEqual(['fine', '', 'sample', '']);
      // nothing named by the hostile members anywhere in the guest but below a target (GNU tar too
      // strips the leading / of an absolute member and extracts it there)
      for (const n of ['dotdot', 'absolute', 'through', 'via-up'])
        expect(
          lines.filter((l) => l.endsWith(n) && !/^srv\/t[gx]z\//.test(l)),
          `${cmd} ${n}`,
        ).toEqual([]);
    }
    // the host canary directory is untouched
    expect(execFileSync('ls', ['-A', canary], { encoding: 'utf8' })).toBe('keep\n');
    expect(readFileSync(join(canary, 'keep'), 'utf8')).toBe('canary\n');
  });
});
