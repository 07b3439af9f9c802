// WalkGuard (src/appliance/walk-guard.ts), the one bound of every recursive walk over a guest
// tree: what it lets through (each directory once, the same path again, a repeated EMPTY
// directory: btrfs's stubs) and what it refuses, in which words and with which facts. The walks
// themselves meet attacker-built images in test/integration/walk-loops.test.ts.
import { describe, expect, it } from 'vitest';
import { filesystemAt, type GuestFilesystem, kernelLoopError, MAX_WALK_PATH_BYTES, WalkGuard } from '../../src/appliance/walk-guard.js';
import { JootError } from '../../src/core/errors.js';

const sda1: GuestFilesystem = { device: '/dev/sda1', type: 'ext4' };
const guard = () => new WalkGuard(() => sda1);
const id = (ino: number) => ({ dev: 1n, ino: BigInt(ino) });

function refusal(fn: () => unknown): JootError {
  try {
    fn();
  } catch (e) {
    if (e instanceof JootError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('WalkGuard', () => {
  it('lets each directory be listed once, and the same path again (glob comes back the same way)', () => {
    const g = guard();
    expect(g.enter('/', id(2), 3)).toBe(true);
    expect(g.enter('/a', id(12), 1)).toBe(true);
    expect(g.enter('/b', { dev: 2, ino: 12 }, 1)).toBe(true); // another device, same inode number
    expect(g.enter('/a', id(12), 1)).toBe(false);
  });

  it('refuses a directory met again below itself as a loop, naming both paths and the filesystem', () => {
    const g = guard();
    g.enter('/a', id(12), 1);
    g.enter('/a/b', id(13), 2);
    const e = refusal(() => g.enter('/a/b/up', id(12), 1));
    expect(e.message).toBe('/a/b/up: file system loop (the same directory as /a): /dev/sda1 (ext4) is corrupt');
    expect(e.code).toBe('EFORMAT');
    expect(e.facts()).toMatchObject({ guestPath: '/a/b/up', device: '/dev/sda1' });
    // a link back to the root
    const r = guard();
    r.enter('/', id(2), 1);
    expect(refusal(() => r.enter('/a/up', id(2), 1)).message).toMatch(/^\/a\/up: file system loop \(the same directory as \/\)/);
  });

  it('refuses a second link to a directory elsewhere, but lets an empty one through (btrfs stubs)', () => {
    const g = guard();
    g.enter('/x/y', id(20), 4);
    expect(refusal(() => g.enter('/z', id(20), 4)).message).toBe('/z: a second link to the directory /x/y: /dev/sda1 (ext4) is corrupt');
    const s = guard();
    expect(s.enter('/snap/a', id(2), 0)).toBe(true);
    expect(s.enter('/snap/b', id(2), 0)).toBe(true);
  });

  it('refuses a directory past PATH_MAX, in a message of one short line', () => {
    const g = new WalkGuard();
    const deep = '/d'.repeat(MAX_WALK_PATH_BYTES / 2);
    expect(() => g.checkDepth(deep)).not.toThrow();
    const e = refusal(() => g.checkDepth(`${deep}/e`));
    expect(e.message).toMatch(/^(\/d){100}…: directories nested past PATH_MAX \(4096 bytes\)$/);
    expect(e.guestPath).toBe(`${deep}/e`);
    // bytes, not characters
    expect(() => g.checkDepth(`/${'é'.repeat(2048)}`)).toThrow(/PATH_MAX/);
  });

  it('says a kernel ELOOP on lstat as a loop; an unknown filesystem as "the filesystem"', () => {
    expect(kernelLoopError('/a/b/up', sda1).message).toBe(
      '/a/b/up: file system loop (the kernel refused a directory holding an ancestor of itself): /dev/sda1 (ext4) is corrupt',
    );
    const g = new WalkGuard();
    g.enter('/a', id(1), 1);
    expect(refusal(() => g.enter('/a/a', id(1), 1)).message).toBe(
      '/a/a: file system loop (the same directory as /a): the filesystem is corrupt',
    );
  });
});

describe('filesystemAt', () => {
  const mounts = new Map<string, GuestFilesystem>([
    ['/', { device: '/dev/sda2', type: 'ext4' }],
    ['/boot', { device: '/dev/sda1', type: 'vfat' }],
  ]);
  const at = (p: string) => filesystemAt(p, (m) => mounts.get(m));
  it('names the deepest mount point on the path', () => {
    expect(at('/boot/efi/x')?.device).toBe('/dev/sda1');
    expect(at('/boot')?.device).toBe('/dev/sda1');
    expect(at('/bootx')?.device).toBe('/dev/sda2');
    expect(at('/')?.device).toBe('/dev/sda2');
    expect(filesystemAt('/a', () => undefined)).toBeUndefined();
  });
});
