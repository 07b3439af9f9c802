// guestfish's read-only file commands beyond the basic ones of files.ts: node types, zero
// tests, case-insensitive lookup, counts, du, statns, strings, hexdump, NUL-separated listings
// and ls -laZ. Everything reads through the session's guest-rooted reader (symlinks resolve
// inside the guest), so each works on the userspace engine (jfish --ro) as on the kernel one.
// Output formats are guestfish's: hexdump is `hexdump -C`, strings is strings(1), statns has
// the st_* field names; find0 and ls0 write NUL-terminated names to a host file as guestfish
// does.
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import { guestFsError, TRANSFER_WORDS } from '../../appliance/guest-path.js';
import type { Writer } from '../../core/output.js';
import { findAll } from '../file-ops.js';
import {
  caseSensitivePath,
  diskUsage,
  FILE_TYPES,
  fileStrings,
  hexDump,
  isType,
  isZeroDevice,
  isZeroFile,
  longListingZ,
  lstatnsList,
  statnsFields,
  wordCount,
} from '../node-info.js';
import { defineOp, type OpTest } from '../op.js';

/**
 * The two followsymlinks tests of a node-type test: `/l` links to the node `make` creates at
 * `/n`; followsymlinks:true tests the node, the default the link itself.
 */
function linkTests(name: string, make: readonly string[]): OpTest[] {
  const setup = [
    [...make, '/n'],
    ['ln-s', 'n', '/l'],
  ];
  return [
    { setup, args: ['/l', 'followsymlinks:true'], expect: 'true', title: `${name} followsymlinks:true follows a link inside the guest` },
    { setup, args: ['/l'], expect: 'false', title: `${name} tests a link itself by default` },
  ];
}

function typeTest<const N extends string>(name: N, what: string, type: number, followOpt: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: followOpt
      ? ([
          { name: 'path', type: 'path' },
          { name: 'followsymlinks', type: 'bool', optional: true, named: true },
        ] as const)
      : ([{ name: 'path', type: 'path' }] as const),
    returns: 'bool',
    needsLaunch: true,
    writes: false,
    summary: `test if a path is a ${what}`,
    description: `Prints true if the path exists and is a ${what}, false otherwise (a missing path is false).${
      followOpt ? ' A final symlink is tested itself unless followsymlinks:true, which follows it inside the guest.' : ''
    }`,
    async impl(ctx, [p, follow]: readonly [string, boolean?]) {
      return isType(ctx.session.reader, p, type, follow === true);
    },
    tests,
  });
}

export const isSymlink = typeTest('is-symlink', 'symbolic link', FILE_TYPES.symlink, false, [
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'false' },
  { from: 'libguestfs', disk: 'iso', args: ['/abssymlink'], expect: 'true' },
  { setup: [['ln-s', '/nowhere', '/l']], args: ['/l'], expect: 'true', title: 'a dangling link is a symlink' },
  { setup: [['write', '/f', '']], args: ['/f'], expect: 'false' },
  { args: ['/nope'], expect: 'false' },
]);
export const isBlockdev = typeTest('is-blockdev', 'block device', FILE_TYPES.blockdev, true, [
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'false' },
  { from: 'libguestfs', setup: [['mknod-b', '0777', '99', '66', '/is_blockdev']], args: ['/is_blockdev'], expect: 'true' },
  ...linkTests('is-blockdev', ['mknod-b', '0777', '99', '66']),
  { args: ['/dev/sda'], expect: 'false', title: 'is-blockdev looks in the guest, not at the host /dev' },
]);
export const isChardev = typeTest('is-chardev', 'character device', FILE_TYPES.chardev, true, [
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'false' },
  { from: 'libguestfs', setup: [['mknod-c', '0777', '99', '66', '/is_chardev']], args: ['/is_chardev'], expect: 'true' },
  { setup: [['mkdir', '/d']], args: ['/d'], expect: 'false' },
  ...linkTests('is-chardev', ['mknod-c', '0777', '99', '66']),
]);
export const isFifo = typeTest('is-fifo', 'FIFO', FILE_TYPES.fifo, true, [
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'false' },
  { from: 'libguestfs', setup: [['mkfifo', '0777', '/is_fifo']], args: ['/is_fifo'], expect: 'true' },
  { setup: [['write', '/f', '']], args: ['/f'], expect: 'false' },
  ...linkTests('is-fifo', ['mkfifo', '0777']),
]);
// libguestfs has no positive test for sockets (its generator says so); only the /directory one
export const isSocket = typeTest('is-socket', 'Unix domain socket', FILE_TYPES.socket, true, [
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'false' },
  { setup: [['mknod', '0140777', '0', '0', '/s']], args: ['/s'], expect: 'true' },
  ...linkTests('is-socket', ['mknod', '0140777', '0', '0']),
  { setup: [['write', '/f', '']], args: ['/f'], expect: 'false' },
  { args: ['/nope'], expect: 'false' },
]);

export const isZero = defineOp({
  name: 'is-zero',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'test if a file contains only zero bytes',
  description: `Prints true if the file holds only zero bytes (an empty file does), false otherwise. The
    file is streamed, whatever its size; a final symlink is followed inside the guest.`,
  async impl(ctx, [p]) {
    return isZeroFile(ctx.session.reader, p);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/100kallzeroes'], expect: 'true' },
      { from: 'libguestfs', disk: 'iso', args: ['/100kallspaces'], expect: 'false' },
      { setup: [['fallocate64', '/z', '100000']], args: ['/z'], expect: 'true' },
      { setup: [['write', '/f', '\x00\x00a']], args: ['/f'], expect: 'false' },
      { setup: [['touch', '/e']], args: ['/e'], expect: 'true' },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const isZeroDeviceOp = defineOp({
  name: 'is-zero-device',
  group: 'devices',
  args: [{ name: 'device', type: 'device' }],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'test if a device contains only zero bytes',
  description: `Prints true if every byte of the device is zero. The whole device is read, which takes a
    while on a large one.`,
  async impl(ctx, [dev]) {
    const src = await ctx.session.openDevice(dev);
    try {
      return await isZeroDevice(src);
    } finally {
      await src.close();
    }
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/dev/sda1'], expect: 'false', title: 'a device holding a filesystem is not zero' },
      {
        from: 'libguestfs',
        setup: [
          ['umount', '/dev/sda1'],
          ['zero-device', '/dev/sda1'],
        ],
        args: ['/dev/sda1'],
        expect: 'true',
        title: 'a partition after zero-device is zero',
      },
      { disk: 'disk', args: ['/dev/sda'], expect: 'true', title: 'a new blank disk is zero' },
    ];
  },
});

export const caseSensitivePathOp = defineOp({
  name: 'case-sensitive-path',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'return the true spelling of a path whose case is unknown',
  description: `Look up each component of the path ignoring ASCII case (as a Windows guest would) and print
    the path as it is spelled on disk. Where a component exists with the exact case it is used.
    A last component that matches nothing is kept as given, so the result can name a file to
    create; a missing directory on the way is an error. "." and ".." are refused.`,
  async impl(ctx, [p]) {
    return caseSensitivePath(ctx.session.reader, p);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/DIRECTORY'], expect: '/directory' },
      { from: 'libguestfs', disk: 'iso', args: ['/DIRECTORY/'], expect: '/directory' },
      { from: 'libguestfs', disk: 'iso', args: ['/Known-1'], expect: '/known-1' },
      { from: 'libguestfs', disk: 'iso', args: ['/Known-1/'], error: /\/known-1\/: Not a directory/ },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/case_sensitive_path'],
          ['mkdir', '/case_sensitive_path/bbb'],
          ['touch', '/case_sensitive_path/bbb/c'],
        ],
        args: ['/CASE_SENSITIVE_path/bbB/C'],
        expect: '/case_sensitive_path/bbb/c',
      },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/case_sensitive_path2'],
          ['mkdir', '/case_sensitive_path2/bbb'],
          ['touch', '/case_sensitive_path2/bbb/c'],
        ],
        args: ['/case_sensitive_PATH2////bbB/C'],
        expect: '/case_sensitive_path2/bbb/c',
      },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/case_sensitive_path3'],
          ['mkdir', '/case_sensitive_path3/bbb'],
          ['touch', '/case_sensitive_path3/bbb/c'],
        ],
        args: ['/case_SENSITIVE_path3/bbb/../bbb/C'],
        error: /\. or \.\. elements/,
      },
      {
        from: 'libguestfs',
        setup: [['mkdir', '/case_sensitive_path4']],
        args: ['/case_SENSITIVE_path4/new_file'],
        expect: '/case_sensitive_path4/new_file',
      },
      {
        setup: [
          ['mkdir', '/case_sensitive_path'],
          ['mkdir', '/case_sensitive_path/bbb'],
        ],
        args: ['/CASE_sensitive_path/BBB/'],
        expect: '/case_sensitive_path/bbb',
        title: 'case-sensitive-path of a directory with a final slash',
      },
      { setup: [['touch', '/f']], args: ['/F/'], error: /\/f\/: Not a directory/, title: 'a final slash after a file fails' },
      { args: ['/nope/x'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const readLines = defineOp({
  name: 'read-lines',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'read a file as a list of lines',
  description: `Print the file's lines, one per line, without their LF or CRLF terminators (a last line
    without one counts). Files up to 64 MiB.`,
  async impl(ctx, [p]) {
    return ctx.session.reader.readLines(p);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/known-4'], expect: 'abc\ndef\nghi' },
      { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: '' },
      // one empty line and no lines print alike (an empty line), as in guestfish
      ...(
        [
          ['\n', ''],
          ['\r\n', ''],
          ['\n\r\n', '\n'],
          ['a', 'a'],
          ['a\nb', 'a\nb'],
          ['a\nb\n', 'a\nb'],
          ['a\nb\r\n', 'a\nb'],
          ['a\nb\r\n\n', 'a\nb\n'],
        ] as const
      ).map(
        ([content, lines], i): OpTest => ({
          from: 'libguestfs',
          setup: [['write', `/read_lines${i + 1}`, content]],
          args: [`/read_lines${i + 1}`],
          expect: lines,
          title: `read-lines of ${JSON.stringify(content)}`,
        }),
      ),
      { setup: [['write', '/f', 'abc\ndef\r\nghi']], args: ['/f'], expect: 'abc\ndef\nghi' },
      { setup: [['touch', '/e']], args: ['/e'], expect: '' },
      { setup: [['mkdir', '/d']], args: ['/d'], error: /\/d/ },
    ];
  },
});

export const readFile = defineOp({
  name: 'read-file',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print a whole file',
  description: `Write the contents of the file to standard output byte for byte, as guestfish prints a
    buffer (no newline added). Files up to 64 MiB; use download for larger ones.`,
  async impl(ctx, [p]) {
    await ctx.out.write(await ctx.session.reader.readFile(p));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/known-4'], expect: 'abc\ndef\nghi' },
      { setup: [['write', '/f', 'abc\ndef\n']], args: ['/f'], expect: 'abc\ndef' },
      { setup: [['touch', '/e']], args: ['/e'], expect: '' },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

function wcOp<const N extends string>(name: N, what: 'l' | 'w' | 'c', noun: string, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    returns: 'int',
    needsLaunch: true,
    writes: false,
    summary: `count the ${noun} in a file`,
    description: `Print the number of ${noun} in the file, as "wc -${what}" counts them. The file is streamed.`,
    async impl(ctx, [p]) {
      return wordCount(ctx.session.reader, p, what);
    },
    tests,
  });
}

export const wcL = wcOp('wc-l', 'l', 'lines', [
  { from: 'libguestfs', disk: 'iso', args: ['/10klines'], expect: '10000' },
  { from: 'libguestfs', disk: 'iso', args: ['/abssymlink'], expect: '10000', title: 'wc-l follows an absolute symlink inside the guest' },
  { setup: [['write', '/f', 'a\nb\nc']], args: ['/f'], expect: '2', title: 'wc-l counts newlines, as wc -l' },
  {
    setup: [
      ['write', '/f', 'a\nb\n'],
      ['ln-s', '/f', '/l'],
    ],
    args: ['/l'],
    expect: '2',
  },
]);
export const wcW = wcOp('wc-w', 'w', 'words', [
  { from: 'libguestfs', disk: 'iso', args: ['/10klines'], expect: '10000' },
  { setup: [['write', '/f', ' one two\tthree\n\nfour ']], args: ['/f'], expect: '4' },
]);
export const wcC = wcOp('wc-c', 'c', 'bytes', [
  { from: 'libguestfs', disk: 'iso', args: ['/100kallspaces'], expect: '102400' },
  { setup: [['write', '/f', 'hello\n']], args: ['/f'], expect: '6' },
  { setup: [['touch', '/e']], args: ['/e'], expect: '0' },
]);

export const du = defineOp({
  name: 'du',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'estimate the disk space a file or tree uses',
  description: `Print the space allocated to the path and, for a directory, everything below it, in
    kilobytes (1024 bytes), as "du -s" counts it: allocated blocks, a file with several hard links
    counted once, symlinks not followed.`,
  async impl(ctx, [p]) {
    return diskUsage(ctx.session.reader, p);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: '2', title: 'an ISO directory uses one 2 KiB block' },
      {
        setup: [['mkdir', '/d']],
        args: ['/d'],
        expect: '1',
        title: 'an empty directory uses one 1 KiB block of the ext2',
      },
      {
        setup: [
          ['mkdir', '/d'],
          ['write', '/d/f', 'x'.repeat(3000)],
          ['ln', '/d/f', '/d/g'],
        ],
        args: ['/d'],
        expect: '4',
        title: 'du counts a hard-linked file once',
      },
    ];
  },
});

function statnsOp<const N extends string>(name: N, follow: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    returns: 'struct',
    needsLaunch: true,
    writes: false,
    summary: follow
      ? 'print the file information with nanosecond times'
      : 'print the file information of a symlink itself, with nanosecond times',
    description: `Print ${follow ? 'stat(2)' : 'lstat(2)'} of the path as guestfish's statns struct: st_dev, st_ino,
      st_mode, st_nlink, st_uid, st_gid, st_rdev, st_size, st_blksize, st_blocks, then st_atime_sec,
      st_atime_nsec and the same for mtime and ctime, and st_spare1 to st_spare6 (always 0). ${
        follow ? 'A final symlink is followed inside the guest.' : 'A symlink is described itself.'
      }`,
    async impl(ctx, [p]) {
      return statnsFields((await ctx.session.reader.node(p, { followLast: follow })).stat);
    },
    tests,
  });
}

const STATNS_RE =
  /^st_dev: \d+\nst_ino: \d+\nst_mode: 33188\nst_nlink: 1\nst_uid: 0\nst_gid: 0\nst_rdev: 0\nst_size: 5\nst_blksize: \d+\nst_blocks: \d+\nst_atime_sec: \d+\nst_atime_nsec: \d+\nst_mtime_sec: 12345\nst_mtime_nsec: 678\nst_ctime_sec: \d+\nst_ctime_nsec: \d+\n(st_spare\d: 0\n){6}$/;

export const statns = statnsOp('statns', true, [
  { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: /^st_size: 0$/m },
  {
    setup: [
      ['write', '/f', 'hello'],
      ['chmod', '0644', '/f'],
      ['utimens', '/f', '1', '2', '12345', '678'],
      ['ln-s', 'f', '/l'],
    ],
    args: ['/l'],
    expect: STATNS_RE,
  },
  { args: ['/nope'], error: /\/nope: No such file or directory/ },
]);
export const lstatns = statnsOp('lstatns', false, [
  { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: /^st_size: 0$/m },
  {
    setup: [
      ['write', '/t', 'hello'],
      ['ln-s', 't', '/l'],
    ],
    args: ['/l'],
    expect: /^st_mode: 41471\n(.*\n){4}st_size: 1$/m,
  },
]);

export const lstatnslist = defineOp({
  name: 'lstatnslist',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'names', type: 'string', variadic: true },
  ],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'lstat several names in one directory',
  description: `Print lstatns of each name (not a path: no "/") in the directory, in order, as a list of
    structs. The names are separate words or one word split on spaces, as guestfish splits a list.
    A name that cannot be lstat'ed gets st_ino -1 and zeros elsewhere.`,
  async impl(ctx, [dir, names]) {
    return lstatnsList(
      ctx.session.reader,
      dir,
      names.flatMap((n) => n.split(' ').filter((w) => w !== '')),
    );
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['write', '/f', 'hello'],
          ['mkdir', '/d'],
        ],
        args: ['/', 'f nope'],
        expect: /^\[0\] = \{\n {2}st_dev: \d+\n(.*\n){6} {2}st_size: 5\n(.*\n)*\[1\] = \{\n {2}st_dev: 0\n {2}st_ino: -1\n/,
      },
      { args: ['/'], expect: '', title: 'lstatnslist of no names is an empty list' },
    ];
  },
});

function stringsOp<const N extends string>(name: N, withEncoding: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: withEncoding
      ? ([
          { name: 'encoding', type: 'string' },
          { name: 'path', type: 'path' },
        ] as const)
      : ([{ name: 'path', type: 'path' }] as const),
    returns: 'strings',
    needsLaunch: true,
    writes: false,
    summary: withEncoding ? 'print the printable strings of a file in an encoding' : 'print the printable strings of a file',
    description: `Print the runs of at least 4 printable characters in the whole file, one per line, as
      strings(1)${withEncoding ? ' -e ENCODING' : ''} does.${
        withEncoding
          ? ' encoding: s (7-bit bytes, the default of strings), S (8-bit bytes), b or l (16-bit big or little endian), B or L (32-bit).'
          : ''
      } The file is streamed; at most 64 MiB of strings are kept.`,
    async impl(ctx, args: readonly string[]) {
      const [enc, p] = withEncoding ? [args[0]!, args[1]!] : ['s', args[0]!];
      return fileStrings(ctx.session.reader, p, enc);
    },
    tests,
  });
}

export const strings = stringsOp('strings', false, [
  { from: 'libguestfs', disk: 'iso', args: ['/known-5'], expect: 'abcdefghi\njklmnopqr' },
  { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: '' },
  { from: 'libguestfs', disk: 'iso', args: ['/abssymlink'], title: 'strings follows an absolute symlink inside the guest' },
  { setup: [['write', '/f', 'abc\x00defg\x01\x02hijkl\tm\nxy']], args: ['/f'], expect: 'defg\nhijkl\tm' },
  { setup: [['touch', '/e']], args: ['/e'], expect: '' },
]);
export const stringsE = stringsOp('strings-e', true, [
  { from: 'libguestfs', disk: 'iso', args: ['b', '/known-5'], expect: '' },
  {
    from: 'libguestfs',
    setup: [['write', '/strings_e', '\x00h\x00e\x00l\x00l\x00o\x00\n\x00w\x00o\x00r\x00l\x00d\x00\n']],
    args: ['b', '/strings_e'],
    expect: 'hello\nworld',
  },
  { setup: [['write', '/f', 'a\x00b\x00c\x00d\x00\x01\x00']], args: ['l', '/f'], expect: 'abcd' },
  { setup: [['write', '/f', 'a\x00b\x00c\x00d\x00']], args: ['b', '/f'], expect: '', title: 'strings-e b finds no big-endian text' },
  { setup: [['write', '/f', 'x']], args: ['q', '/f'], error: /q: unknown encoding/ },
]);

export const hexdump = defineOp({
  name: 'hexdump',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print a hex dump of a file',
  description: `Print the file as "hexdump -C" does: offset, 16 bytes in hex in two groups of 8, the
    printable characters between bars, repeated lines as "*", and the size as the last offset.
    Files up to 16 MiB.`,
  async impl(ctx, [p]) {
    return hexDump(ctx.session.reader, p);
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['/known-4'],
        expect: '00000000  61 62 63 0a 64 65 66 0a  67 68 69                 |abc.def.ghi|\n0000000b\n',
      },
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['/100krandom'],
        expect: /\n00018ff0 {2}([0-9a-f]{2} ){8} ([0-9a-f]{2} ){8} \|.{16}\|\n00019000\n/,
        title: 'hexdump of 100 KiB of random bytes',
      },
      { from: 'libguestfs', disk: 'iso', args: ['/abssymlink'], title: 'hexdump follows an absolute symlink inside the guest' },
      {
        setup: [['write', '/f', 'hello\nworld\n']],
        args: ['/f'],
        expect: '00000000  68 65 6c 6c 6f 0a 77 6f  72 6c 64 0a              |hello.world.|\n0000000c\n',
      },
      {
        setup: [['fallocate64', '/z', '64']],
        args: ['/z'],
        expect: '00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000040\n',
      },
      { setup: [['touch', '/e']], args: ['/e'], expect: '' },
    ];
  },
});

/** Write NUL-terminated names to a host file (- is standard output), as guestfish's find0 and ls0. */
async function writeNames(names: readonly string[], local: string, out: Writer): Promise<void> {
  const data = Buffer.from(names.map((n) => `${n}\0`).join(''), 'utf8');
  if (local === '-') {
    await out.write(data);
    return;
  }
  try {
    const fh = await fsp.open(path.resolve(local), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | (fsc.O_NOCTTY ?? 0), 0o666);
    try {
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw guestFsError(e, local, TRANSFER_WORDS);
  }
}

export const find0 = defineOp({
  name: 'find0',
  group: 'files',
  args: [
    { name: 'directory', type: 'path' },
    { name: 'files', type: 'fileout' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'find every file below a directory, NUL-separated, into a host file',
  description: `Like find, but the names (relative to the directory) are written to the host file files
    (- for standard output), each followed by a NUL byte, as find -print0 writes them.`,
  async impl(ctx, [dir, local]) {
    await writeNames(await findAll(ctx.session.reader, dir), local, ctx.out);
    return undefined;
  },
  guestfishDiffers:
    'libguestfs has no per-action test for this action (its generator points to a separate regression test, outside the generator)',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['mkdir-p', '/a/b'],
          ['touch', '/a/b/c'],
        ],
        args: ['/a', '-'],
        expect: 'b\0b/c\0',
      },
      {
        setup: [
          ['mkdir-p', '/a/b'],
          ['touch', '/a/c'],
          ['find0', '/a', 'names'],
        ],
        args: ['/a', 'names'],
        title: 'find0 writes the host file',
        check: { run: ['upload', 'names', '/n'], expect: '' },
      },
    ];
  },
});

export const ls0 = defineOp({
  name: 'ls0',
  group: 'files',
  args: [
    { name: 'dir', type: 'path' },
    { name: 'filenames', type: 'fileout' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'list a directory, NUL-separated, into a host file',
  description: `Like ls, but the names are written to the host file filenames (- for standard output),
    each followed by a NUL byte.`,
  async impl(ctx, [dir, local]) {
    await writeNames(await ctx.session.reader.readdir(dir), local, ctx.out);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['mkdir', '/d'],
          ['touch', '/d/b'],
          ['touch', '/d/a'],
        ],
        args: ['/d', '-'],
        expect: 'a\0b\0',
      },
      { args: ['/nope', '-'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const llz = defineOp({
  name: 'llz',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list a directory in long format with SELinux contexts',
  description: `List the directory as "ls -laZ" does in guestfish's appliance: like ll but with numeric
    owners, and each entry's SELinux context (its security.selinux attribute) after the group, "?"
    where it has none, and a "." after the mode where it has one.`,
  async impl(ctx, [dir]) {
    return longListingZ(ctx.session.reader, dir, (m) => ctx.warn(m));
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (a deprecated one)',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['mkdir', '/d'],
          ['write', '/d/f', 'hello'],
        ],
        args: ['/d'],
        expect:
          /^total \d+\ndr[-rwx]{8} +\d+ 0 0 \? +\d+ .{12} \.\ndr[-rwx]{8} +\d+ 0 0 \? +\d+ .{12} \.\.\n-rw-r--r-- +1 0 0 \? +5 .{12} f\n$/,
      },
      { setup: [['write', '/f', '']], args: ['/f'], error: /\/f: Not a directory/ },
    ];
  },
});

export const records = [
  isSymlink,
  isBlockdev,
  isChardev,
  isFifo,
  isSocket,
  isZero,
  isZeroDeviceOp,
  caseSensitivePathOp,
  readLines,
  readFile,
  wcL,
  wcW,
  wcC,
  du,
  statns,
  lstatns,
  lstatnslist,
  strings,
  stringsE,
  hexdump,
  find0,
  ls0,
  llz,
] as const;
