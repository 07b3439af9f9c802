// guestfish's other archive and checksum transfers: base64-in / base64-out, tgz-* and txz-*
// (guestfish's deprecated spellings of tar-in / tar-out with compress:gzip / compress:xz: they
// run tar.ts's records, nothing of their own), cpio-out, checksums-out and checksum-device.
// The reads work on both engines; the writes go through the guest-rooted writer (as upload and
// tar-in do). The tests' host files are relative paths: each test runs in a fresh host directory.
import { JootError } from '../../core/errors.js';
import { defineOp, type OpContext, type OpTest } from '../op.js';
import { tarInOp, tarOutOp } from './tar.js';

/** The archive code, loaded when one of these commands runs (not with jfish's command table). */
const base64 = () => import('../archive/base64.js');
const checksums = () => import('../archive/checksums.js');

const io = (ctx: OpContext) => ({ stdin: ctx.stdin, stderr: ctx.stderr });

/** A guest directory /d with one file, f = "hello\n". */
const TREE = [
  ['mkdir', '/d'],
  ['write', '/d/f', 'hello\n'],
];
/** libguestfs's helloworld.tar: ./hello and ./world, each its name and a newline. */
const HELLOWORLD = [
  ['mkdir', '/hw'],
  ['write', '/hw/hello', 'hello\n'],
  ['write', '/hw/world', 'world\n'],
];

// ------------------------------------------------------------------ base64

export const base64InOp = defineOp({
  name: 'base64-in',
  group: 'transfer',
  args: [
    { name: 'base64file', type: 'filein' },
    { name: 'filename', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'upload base64-encoded data to a guest file',
  description: `Decode the local file base64file (- for standard input), base64-encoded, into the
    guest file filename, created or truncated, as \`base64 -d -i\` decodes: characters outside the
    base64 alphabet (line breaks, spaces) are ignored, and input that ends in the middle of a
    group of four is refused (what came before it is written). As upload: a final symlink of
    filename is followed inside the guest, the data is streamed. Refused in a read-only session.`,
  async impl(ctx, [local, path]) {
    const { base64In } = await base64();
    await base64In(ctx.session, local, path, io(ctx));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        title: "base64-in hello.b64 (made here by base64-out, as libguestfs's test-data hello.b64)",
        setup: [
          ['write', '/hello', 'hello\n'],
          ['base64-out', '/hello', 'hello.b64'],
        ],
        args: ['hello.b64', '/base64_in'],
        check: { run: ['cat', '/base64_in'], expect: 'hello\n' },
      },
      {
        title: 'characters outside the alphabet are ignored',
        setup: [
          ['write', '/g', 'aGVs\r\n !bG8K\n'],
          ['download', '/g', 'g.b64'],
        ],
        args: ['g.b64', '/f'],
        check: { run: ['cat', '/f'], expect: 'hello\n' },
      },
      {
        title: 'a final link is followed inside the guest',
        setup: [
          ['write', '/src', 'hello\n'],
          ['base64-out', '/src', 's.b64'],
          ['mkdir', '/d'],
          ['ln-s', '/d', '/l'],
        ],
        args: ['s.b64', '/l/f'],
        check: { run: ['cat', '/d/f'], expect: 'hello\n' },
      },
      {
        setup: [
          ['write', '/t', 'aGVsb'],
          ['download', '/t', 't.b64'],
        ],
        args: ['t.b64', '/f'],
        error: /t\.b64: invalid base64 input/,
      },
      { args: ['missing.b64', '/f'], error: /missing\.b64: No such file or directory/ },
      { readonly: true, args: ['missing.b64', '/f'], error: /read-only/ },
    ];
  },
});

export const base64OutOp = defineOp({
  name: 'base64-out',
  group: 'transfer',
  args: [
    { name: 'filename', type: 'path' },
    { name: 'base64file', type: 'fileout' },
  ],
  // to - the encoded text goes to the output as it is
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'download a guest file encoded as base64',
  description: `Encode the guest file filename as base64 into the local file base64file (- for
    standard output), created or truncated, as GNU base64 writes it: lines of 76 characters, each
    ended by a newline. A final symlink of filename is followed inside the guest; the file is
    streamed, whatever its size.`,
  async impl(ctx, [path, local]) {
    const { base64Out } = await base64();
    await base64Out(ctx.session, path, local, ctx.out, io(ctx));
    return undefined;
  },
  guestfishDiffers: "libguestfs has no test for base64-out (base64-in's test here decodes what base64-out encoded)",
  get tests(): readonly OpTest[] {
    return [
      { setup: [['write', '/f', 'hello\n']], args: ['/f', '-'], expect: 'aGVsbG8K' },
      { disk: 'iso', title: 'on the userspace engine', args: ['/known-2', '-'], expect: 'YWJjZGVmCg==' },
      {
        disk: 'iso',
        title: 'lines of 76 characters',
        args: ['/10klines', '-'],
        expect: /^MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6CjFhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ego[A-Za-z0-9+/]\n[A-Za-z0-9+/]{76}\n/,
      },
      { setup: [['touch', '/e']], args: ['/e', '-'], expect: '' },
      { args: ['/missing', '-'], error: /\/missing: No such file or directory/ },
      { setup: [['mkdir', '/d']], args: ['/d', '-'], error: /\/d: Is a directory/ },
    ];
  },
});

// ------------------------------------------------------------------ tgz / txz: tar's aliases

const article = (word: string): string => (/^[aeiox]/.test(word) ? 'an' : 'a');

function deprecatedIn(name: string, compress: 'gzip' | 'xz', kind: string) {
  return defineOp({
    name,
    group: 'transfer',
    args: [
      { name: 'tarball', type: 'filein' },
      { name: 'directory', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: `unpack ${article(kind)} ${kind} tarball into a guest directory (deprecated: tar-in compress:${compress})`,
    description: `Deprecated, as in guestfish: use tar-in. The same as \`tar-in tarball directory
      compress:${compress}\`: unpack the local ${kind} tar file tarball (- for standard input) into
      the existing guest directory, with everything tar-in says about members that would leave
      it (never extracted), links and owners. Refused in a read-only session.`,
    async impl(ctx: OpContext, [local, dir]: [string, string]) {
      await tarInOp.impl(ctx, [local, dir, compress, undefined, undefined, undefined]);
      return undefined;
    },
    get tests(): readonly OpTest[] {
      return [
        {
          from: 'libguestfs',
          title: `${name} helloworld.tar.${compress === 'gzip' ? 'gz' : 'xz'} (made here by tar-out, as libguestfs's)`,
          setup: [...HELLOWORLD, ['tar-out', '/hw', 'hw.tar', `compress:${compress}`], ['mkdir', `/${name.replace('-', '_')}`]],
          args: ['hw.tar', `/${name.replace('-', '_')}`],
          check: { run: ['cat', `/${name.replace('-', '_')}/hello`], expect: 'hello\n' },
        },
        {
          title: 'an uncompressed archive is refused',
          setup: [...TREE, ['tar-out', '/d', 'd.tar'], ['mkdir', '/e']],
          args: ['d.tar', '/e'],
          error: compress === 'gzip' ? /gzip: invalid compressed data/ : /xz failed/,
        },
        { readonly: true, args: ['/dev/null', '/'], error: /read-only/ },
      ];
    },
  });
}

function deprecatedOut(name: string, compress: 'gzip' | 'xz', kind: string, inName: string) {
  return defineOp({
    name,
    group: 'transfer',
    args: [
      { name: 'directory', type: 'path' },
      { name: 'tarball', type: 'fileout' },
    ],
    returns: 'stream',
    needsLaunch: true,
    writes: false,
    summary: `pack a guest directory into ${article(kind)} ${kind} tarball (deprecated: tar-out compress:${compress})`,
    description: `Deprecated, as in guestfish: use tar-out. The same as \`tar-out directory tarball
      compress:${compress}\`: pack the guest directory into the local ${kind} tar file tarball (-
      for standard output), links stored as links and never followed.`,
    async impl(ctx: OpContext, [dir, local]: [string, string]) {
      await tarOutOp.impl(ctx, [dir, local, compress, undefined, undefined, undefined, undefined, undefined]);
      return undefined;
    },
    guestfishDiffers: `libguestfs has no test for ${name} (the ${inName} test here unpacks what ${name} packed)`,
    get tests(): readonly OpTest[] {
      return [
        {
          title: `read back by ${inName}`,
          setup: [...TREE, ['mkdir', '/e']],
          args: ['/d', 'd.tar'],
          expect: '',
          after: [[inName, 'd.tar', '/e']],
          check: { run: ['cat', '/e/f'], expect: 'hello\n' },
        },
        { disk: 'iso', title: 'on the userspace engine', args: ['/directory', 'd.tar'], expect: '' },
        { args: ['/missing', '-'], error: /\/missing: No such file or directory/ },
      ];
    },
  });
}

export const tgzInOp = deprecatedIn('tgz-in', 'gzip', 'gzip-compressed');
export const tgzOutOp = deprecatedOut('tgz-out', 'gzip', 'gzip-compressed', 'tgz-in');
export const txzInOp = deprecatedIn('txz-in', 'xz', 'xz-compressed');
export const txzOutOp = deprecatedOut('txz-out', 'xz', 'xz-compressed', 'txz-in');

// ------------------------------------------------------------------ cpio-out

export const cpioOutOp = defineOp({
  name: 'cpio-out',
  group: 'transfer',
  args: [
    { name: 'directory', type: 'path' },
    { name: 'cpiofile', type: 'fileout' },
    { name: 'format', type: 'string', optional: true, named: true },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'pack a guest directory into a host cpio file',
  description: `Pack the contents of the guest directory into the local file cpiofile (- for
    standard output), as \`cd directory && find | cpio -o -H newc\` would: every file, directory,
    symbolic link (stored as a link, never followed), device node, FIFO and socket, with modes,
    numeric owners and times, member names relative to the directory (the directory itself is
    \`.\`). format:newc (the default: the SVR4 portable format the Linux kernel reads as an
    initramfs) or format:crc (the same with a checksum of each file's data). Unlike GNU cpio,
    inode numbers are renumbered from 1 (as --renumber-inodes) and a hard-linked file's data
    goes with its first name (later names are stored empty; cpio and the kernel make them links
    to it). A file of 4 GiB or more does not fit the format and stops the command. Streamed:
    nothing is collected in memory.`,
  async impl(ctx, [dir, local, format]) {
    const { cpioFormats } = await import('../archive/cpio-writer.js');
    const f = (format ?? 'newc').toLowerCase();
    const known = cpioFormats.find((x) => x === f);
    if (!known) throw new JootError('EINVAL', `format: '${format}' is not one of ${cpioFormats.join(', ')}`);
    const { cpioOut } = await import('../archive/cpio-out.js');
    await cpioOut(ctx.session, dir, local, ctx.out, known, { warn: (m) => ctx.warn(m), stderr: ctx.stderr });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test for cpio-out',
  get tests(): readonly OpTest[] {
    return [
      // the top `.`, then f with its data, then the trailer: 110-byte headers, header and name
      // padded to 4 (here none), data padded to 4, the whole to 512
      {
        setup: TREE,
        args: ['/d', '-'],
        expect:
          /^070701[0-9A-F]{104}\.\x00070701[0-9A-F]{48}00000006[0-9A-F]{32}00000002[0-9A-F]{8}f\x00hello\n\x00{2}070701[0-9A-F]{104}TRAILER!!!\x00+$/,
      },
      {
        title: "format:crc: each file's header carries the sum of its bytes (hello\\n: 0x21E)",
        setup: TREE,
        args: ['/d', '-', 'format:crc'],
        expect: /^070702[\s\S]*070702[0-9A-F]{88}000000020000021Ef\x00hello\n/,
      },
      {
        title: 'to a host file, on the userspace engine',
        disk: 'iso',
        args: ['/', 'iso.cpio'],
        expect: '',
      },
      {
        disk: 'iso',
        title: 'an empty directory on the userspace engine',
        args: ['/directory', '-'],
        expect: /^070701[0-9A-F]{104}\.\x00070701[0-9A-F]{104}TRAILER!!!\x00+$/,
      },
      { setup: TREE, args: ['/d', '-', 'format:odc'], error: /format: 'odc' is not one of newc, crc/ },
      { args: ['/missing', '-'], error: /\/missing: No such file or directory/ },
      { setup: TREE, args: ['/d/f', '-'], error: /\/d\/f: Not a directory/ },
    ];
  },
});

// ------------------------------------------------------------------ checksums

export const checksumsOutOp = defineOp({
  name: 'checksums-out',
  group: 'transfer',
  args: [
    { name: 'csumtype', type: 'string' },
    { name: 'directory', type: 'path' },
    { name: 'sumsfile', type: 'fileout' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'write the checksums of every file below a guest directory to a host file',
  description: `Write the checksum of every regular file below the guest directory, recursively,
    to the local file sumsfile (- for standard output), as \`cd directory && find -type f |
    xargs sha256sum\` prints them (md5sum, sha1sum… for the other types): one line per file,
    the hash, two spaces and \`./NAME\`, where a name holding a backslash, newline or carriage return is written
    with \\\\, \\n and \\r and its line starts with a backslash, as coreutils does; for crc, cksum's
    \`CRC SIZE ./NAME\`. Types as for checksum. Symbolic links are not followed; files are listed
    in the directory's own order and each is streamed.`,
  async impl(ctx, [type, dir, local]) {
    const { checksumsOut } = await checksums();
    await checksumsOut(ctx.session, type, dir, local, ctx.out, ctx.stderr);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test for checksums-out',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [...TREE, ['mkdir', '/d/e'], ['ln-s', 'f', '/d/l']],
        args: ['sha256', '/d', '-'],
        expect: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  ./f',
      },
      { title: "crc is cksum's: CRC, size, name", setup: TREE, args: ['crc', '/d', '-'], expect: '3015617425 6 ./f' },
      {
        title: 'a backslash in a name is escaped as sha256sum escapes it',
        setup: [
          ['mkdir', '/d'],
          ['write', '/d/a\\b', 'hello\n'],
        ],
        args: ['sha256', '/d', '-'],
        expect: '\\5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  ./a\\\\b',
      },
      {
        disk: 'iso',
        title: 'on the userspace engine',
        args: ['md5', '/', '-'],
        expect: /^46d6ca27ee07cdc6fa99c2e138cc522c {2}\.\/known-3$/m,
      },
      { setup: TREE, args: ['crc32', '/d', '-'], error: /crc32: unknown checksum type/ },
      { args: ['md5', '/missing', '-'], error: /\/missing: No such file or directory/ },
    ];
  },
});

export const checksumDeviceOp = defineOp({
  name: 'checksum-device',
  group: 'devices',
  args: [
    { name: 'csumtype', type: 'string' },
    { name: 'device', type: 'device' },
  ],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: "print the checksum of a device's contents",
  description: `Print the checksum of the whole contents of the device (a disk, a partition, a
    logical volume…), as checksum prints a file's: crc, md5, sha1, sha224, sha256, sha384 or
    sha512. The device is streamed, on either engine.`,
  async impl(ctx, [type, device]) {
    const { checksumDevice } = await checksums();
    return checksumDevice(ctx.session, type, device);
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'iso',
        title:
          "checksum-device md5 of the ISO device (libguestfs compares it with md5sum of test.iso; our ISO is built on each machine, so jfish-archives.test.ts compares it with the host's md5sum of the image)",
        args: ['md5', '/dev/sda'],
        expect: /^[0-9a-f]{32}\n$/,
      },
      { disk: 'disk:1M', title: 'a blank 1 MiB disk', args: ['md5', '/dev/sda'], expect: 'b6d81b360a5672d80c27430f39153e2c' },
      { args: ['crc32', '/dev/sda1'], error: /crc32: unknown checksum type/ },
      { args: ['md5', '/dev/sdz'], error: /sdz/ },
    ];
  },
});

export const records = [
  base64InOp,
  base64OutOp,
  tgzInOp,
  tgzOutOp,
  txzInOp,
  txzOutOp,
  cpioOutOp,
  checksumsOutOp,
  checksumDeviceOp,
] as const;
