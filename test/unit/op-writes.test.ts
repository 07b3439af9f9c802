// Every jfish command says whether it changes the guest or its drives (`writes`): jfish picks the
// userspace engine for a script none of whose commands writes (script-effect.ts), so a writer
// marked as a reader would send its script to an engine that refuses it.
import { describe, expect, it } from 'vitest';
import { inspectionRecords } from '../../src/inspect/records/index.js';
import { erase, type Op } from '../../src/ops/op.js';
import { opRecords } from '../../src/ops/records/index.js';
import { table } from '../../src/tools/jfish/table.js';

const records: Op[] = [...opRecords, ...inspectionRecords].map((op) => erase(op as never));

// guestfish's semantics: reading the guest, or writing only the host (download, copy-out, tar-out)
const READERS = [
  'list-devices',
  'list-filesystems',
  'part-list',
  'part-get-bootable',
  'blockdev-getsize64',
  'vfs-type',
  'blkid',
  'df',
  'btrfs-subvolume-list',
  'lvs',
  'luks-open',
  'mount',
  'mount-ro',
  'mount-options',
  'umount-all',
  'mountpoints',
  'ls',
  'll',
  'cat',
  'head',
  'tail-n',
  'find',
  'stat',
  'lstat',
  'readlink',
  'realpath',
  'exists',
  'is-dir',
  'filesize',
  'checksum',
  'grep',
  'zfgrepi',
  'file',
  'download',
  'copy-out',
  'tar-out',
  'fstab-list',
  'inspect-os',
  'inspect-get-hostname',
  'inspect-list-applications2',
  'hivex-open',
  'hivex-node-children',
  'hivex-value-string',
  // the shell's own
  'add',
  'run',
  'reopen',
  'help',
  'echo',
  'exit',
];

const WRITERS = [
  'part-init',
  'part-add',
  'part-set-name',
  'mkfs',
  'mkswap',
  'set-label',
  'fsck',
  'e2fsck',
  'resize2fs',
  'wipefs',
  'zero-device',
  'btrfs-subvolume-create',
  'pvcreate',
  'lvcreate',
  'vgremove',
  'write',
  'write-append',
  'touch',
  'mkdir-p',
  'rm-rf',
  'cp-a',
  'mv',
  'chmod',
  'lchown',
  'ln-sf',
  'upload',
  'copy-in',
  'tar-in',
  'edit',
  'fstab-add',
  'fstab-remove',
  'command',
  'sh-lines',
  'hivex-node-set-value',
  'hivex-commit',
  'disk-create',
  'sparse',
];

describe('writes', () => {
  it('every operation record and every jfish command declares it', () => {
    const undeclared = [...records, ...table.commands].filter((c) => typeof c.writes !== 'boolean').map((c) => c.name);
    expect(undeclared).toEqual([]);
  });

  it('known readers do not write, known writers do', () => {
    const wrong = [
      ...READERS.filter((n) => table.lookup(n)?.writes !== false).map((n) => `${n}: should read only`),
      ...WRITERS.filter((n) => table.lookup(n)?.writes !== true).map((n) => `${n}: should write`),
    ];
    expect(wrong).toEqual([]);
  });

  it('a record whose own test is refused on a read-only session writes', () => {
    const refused = records.filter((op) => op.tests.some((t) => t.readonly && t.error && /read-only/.test(t.error.source)));
    expect(refused.length).toBeGreaterThan(5);
    expect(refused.filter((op) => !op.writes).map((op) => op.name)).toEqual([]);
  });

  it('only time and glob run another command', () => {
    expect(table.commands.filter((c) => c.runsCommand).map((c) => c.name)).toEqual(['time', 'glob']);
    expect(table.commands.filter((c) => c.runsCommand && c.writes)).toEqual([]);
  });
});
