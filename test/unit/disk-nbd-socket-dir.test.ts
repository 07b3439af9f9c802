// Where the private NBD socket of a qemu-storage-daemon export goes (qemu-export.ts
// privateSocketDir): under $XDG_RUNTIME_DIR only when that is an absolute path to a real
// directory (not a symlink) of the user's own that no group or other may enter; otherwise under
// os.tmpdir(). Either way a fresh joot-nbd-* directory, ours and 0700. Then the same rule seen
// from a real export (mbr.vmdk through qemu-storage-daemon): the socket directory appears where
// the rule says while the image is open, and is gone after close.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/disk/containers/index.js';
import { privateSocketDir } from '../../src/disk/containers/qemu-export.js';
import { fixture } from '../fixtures/index.js';

const isRoot = process.getuid?.() === 0;
let base = '';
let tmp = ''; // os.tmpdir() during these tests: only ours, so what lands in it is seen

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'joot-sockdir-'));
  tmp = join(base, 'tmp');
  mkdirSync(tmp, { mode: 0o700 });
  process.env.TMPDIR = tmp;
});

afterAll(() => {
  delete process.env.TMPDIR;
  rmSync(base, { recursive: true, force: true });
});

/** A directory under the test's base with `mode` (chmod: the umask does not apply). */
function xdg(name: string, mode: number): string {
  const d = join(base, name);
  mkdirSync(d);
  chmodSync(d, mode);
  return d;
}

/** privateSocketDir with this XDG_RUNTIME_DIR: where it put the directory (which it made ours, 0700), then removed. */
async function placed(xdgValue: string | undefined): Promise<string> {
  const dir = await privateSocketDir(xdgValue === undefined ? {} : { XDG_RUNTIME_DIR: xdgValue });
  try {
    const st = lstatSync(dir);
    expect(st.isDirectory()).toBe(true);
    expect(st.uid).toBe(process.getuid?.());
    expect(st.mode & 0o777).toBe(0o700);
    expect(dir).toMatch(/\/joot-nbd-[^/]+$/);
    return dirname(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the private NBD socket directory', () => {
  it('is made under $XDG_RUNTIME_DIR when that is ours and 0700', async () => {
    const good = xdg('run-good', 0o700);
    expect(await placed(good)).toBe(good);
  });

  for (const [what, mode] of [
    ['world-writable (0777)', 0o777],
    ['world-writable with the sticky bit (1777, as /tmp)', 0o1777],
    ['group-writable (0770)', 0o770],
    ['open to others to enter (0755)', 0o755],
    ['group-readable (0750)', 0o750],
  ] as const) {
    it(`is not made under an $XDG_RUNTIME_DIR that is ${what}: under the temp dir instead`, async () => {
      const bad = xdg(`run-${mode.toString(8)}`, mode);
      expect(await placed(bad)).toBe(tmp);
      expect(readdirSync(bad)).toEqual([]);
    });
  }

  it.skipIf(!isRoot)("is not made under an $XDG_RUNTIME_DIR that is another user's (0700, owned by nobody)", async () => {
    const theirs = xdg('run-nobody', 0o700);
    chownSync(theirs, 65534, 65534);
    expect(await placed(theirs)).toBe(tmp);
    expect(readdirSync(theirs)).toEqual([]);
  });

  it('is not made through a symlink to a good directory, nor under a relative, missing or non-directory path', async () => {
    const good = xdg('run-target', 0o700);
    const link = join(base, 'run-link');
    symlinkSync(good, link);
    expect(await placed(link)).toBe(tmp);
    expect(readdirSync(good)).toEqual([]);
    expect(await placed('relative/run')).toBe(tmp);
    expect(await placed(join(base, 'no-such-dir'))).toBe(tmp);
    expect(await placed('/dev/null')).toBe(tmp);
    expect(await placed('')).toBe(tmp);
    expect(await placed(undefined)).toBe(tmp);
  });

  it('a real export (mbr.vmdk through qemu-storage-daemon): its socket directory is where the rule says while open, gone after close', async () => {
    const img = await fixture('mbr.vmdk');
    const good = xdg('run-export-good', 0o700);
    const bad = xdg('run-export-bad', 0o777);
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      for (const [runtime, where] of [
        [good, good],
        [bad, tmp],
      ] as const) {
        process.env.XDG_RUNTIME_DIR = runtime;
        const src = await openImage(img);
        try {
          expect((await src.read(510, 2)).toString('hex')).toBe('55aa'); // the export reads
          const made = readdirSync(where).filter((n) => n.startsWith('joot-nbd-'));
          expect(made.length, where).toBe(1);
          expect(lstatSync(join(where, made[0] as string)).mode & 0o777).toBe(0o700);
          expect(readdirSync(join(where, made[0] as string))).toEqual(['nbd.sock']);
          if (where !== runtime) expect(readdirSync(runtime)).toEqual([]);
        } finally {
          await src.close();
        }
        expect(readdirSync(where).filter((n) => n.startsWith('joot-nbd-'))).toEqual([]);
      }
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });
});
