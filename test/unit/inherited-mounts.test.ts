// Which inherited mounts a tool in a fresh private namespace drops: the top-most mounts of joot
// sessions (under a session-XXXXXX directory), nothing else (appliance/inherited-mounts.ts).
import { describe, expect, it } from 'vitest';
import { sessionMountRoots } from '../../src/appliance/inherited-mounts.js';
import { parseMountinfo } from '../../src/core/mountinfo.js';

const line = (id: number, mp: string, type = 'ext4', src = '/dev/loop3') => `${id} 1 7:3 / ${mp} rw,nosuid - ${type} ${src} rw`;

describe('sessionMountRoots', () => {
  it('keeps the top-most session mounts, in mount order, and leaves the rest alone', () => {
    const text = [
      line(20, '/', 'ext4', '/dev/sda1'),
      line(21, '/run/joot/tmp/session-Ab3xYz/sysroot'),
      line(22, '/run/joot/tmp/session-Ab3xYz/sysroot/boot'),
      line(23, '/work/run/tmp/session-qq11ZZ/export-0', 'fuse', 'qemu-storage-daemon'),
      line(24, '/home/me/session-notes'), // not six characters: not a session's directory
      line(25, '/mnt/session-abcdefg/x'), // seven
      line(26, '/tmp/my\\040dir/session-k9k9k9/sysroot'),
      '',
    ].join('\n');
    expect(sessionMountRoots(parseMountinfo(text))).toEqual([
      '/run/joot/tmp/session-Ab3xYz/sysroot',
      '/work/run/tmp/session-qq11ZZ/export-0',
      '/tmp/my dir/session-k9k9k9/sysroot',
    ]);
  });

  it('parses the fields a caller compares (unescaped mount point and source)', () => {
    const [m] = parseMountinfo('36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n');
    expect(m).toEqual({ devno: '98:0', mountpoint: '/mnt two', fstype: 'ext3', source: '/dev/root' });
  });
});
