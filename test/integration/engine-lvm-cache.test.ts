// A cache LV (lvm-cache.raw: made by lvm's own lvconvert --type cache, test/fixtures/README.md)
// through jfish on both engines: listed by lvs, its reason in lvs-full's lv_unavailable, its
// filesystem unknown and a mount of it one line naming it; the linear LVs on either side of the
// cache pool's extents list, mount and read as usual. Nothing is left behind.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { unsupportedLvTypes } from '../../src/disk/volumes/lvm/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const isRoot = process.getuid?.() === 0;

/** The reason, the same on both engines (one source: unsupportedLvTypes). */
const REASON_TEXT = `/dev/vgcache/cached: ${unsupportedLvTypes(['cache'])}`;
const REASON = { userspace: REASON_TEXT, kernel: REASON_TEXT };

describe('a cache LV among linear ones (lvm-cache.raw)', () => {
  for (const engine of ['userspace', 'kernel'] as const) {
    it.skipIf(engine === 'kernel' && !isRoot)(`${engine} engine: listed with its reason, not opened; the other LVs read`, async () => {
      const img = await fixture('lvm-cache.raw');
      const before = await snapshot({});
      const ro = [`--engine=${engine}`, '--ro', '-a', img, 'run'];
      const reads = [
        'mount',
        '/dev/vgcache/plain',
        '/',
        ':',
        'cat',
        '/hello.txt',
        ':',
        'umount',
        '/',
        ':',
        'mount',
        '/dev/vgcache/tail',
        '/',
      ];
      const r = await execa(jfish, [...ro, ':', 'lvs', ':', 'list-filesystems', ':', ...reads, ':', 'cat', '/hello.txt'], {
        reject: false,
      });
      expect({ out: r.stdout, err: r.stderr, code: r.exitCode }).toEqual({
        out: [
          '/dev/vgcache/cached',
          '/dev/vgcache/plain',
          '/dev/vgcache/tail',
          '/dev/vgcache/cached: unknown',
          '/dev/vgcache/plain: ext4',
          '/dev/vgcache/tail: ext4',
          'hello from plain',
          '',
          'hello from tail',
          '',
        ].join('\n'),
        err: '',
        code: 0,
      });
      const full = await execa(jfish, [...ro, ':', 'lvs-full'], { reject: false });
      expect(full.exitCode).toBe(0);
      const unavailable = [...full.stdout.matchAll(/^\s*lv_name: (.*)\n(?:.*\n)*?\s*lv_unavailable: ?(.*)$/gm)].map((m) => [m[1], m[2]]);
      expect(unavailable).toEqual([
        ['/dev/vgcache/cached', REASON[engine]],
        ['/dev/vgcache/plain', ''],
        ['/dev/vgcache/tail', ''],
      ]);
      const m = await execa(jfish, [...ro, ':', 'mount', '/dev/vgcache/cached', '/'], { reject: false });
      expect({ err: m.stderr, code: m.exitCode }).toEqual({ err: `jfish: mount: ${REASON[engine]}`, code: 1 });
      await expectNoLeftovers(before);
    });
  }
});
