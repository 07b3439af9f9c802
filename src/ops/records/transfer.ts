// Copying between the host and the guest: upload, download, copy-in, copy-out. Streamed (no
// size cap); guest paths resolve inside the guest, writes go through the session's
// GuestWriter (refused in a read-only session); host paths are relative to the current
// directory (see lcd). A progress bar goes to stderr for transfers over 8 MiB when stderr is
// a terminal. tar-in / tar-out are in tar.ts.
//
// The tests' host files: each test runs in a fresh host directory (the records' test runner
// makes it its working directory), so relative host paths land there and go with it;
// /proc/sys/kernel/ostype ("Linux") is a host file of known content on every Linux host.
import { JootError } from '../../core/errors.js';
import { usage } from '../args.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';
import type { ArgSpec } from '../arg-spec.js';
import type { TransferIo } from '../transfer-ops.js';
import { isSessionDevice } from '../block-io.js';
import { uploadOffset } from './block.js';

/** The transfer code, loaded when a transfer runs (not with jfish's command table). */
const transfers = () => import('../transfer-ops.js');

function io(ctx: OpContext): TransferIo {
  return { stdin: ctx.stdin, stderr: ctx.stderr, warn: (m) => ctx.warn(m) };
}

export const uploadOp = defineOp({
  name: 'upload',
  group: 'transfer',
  args: [
    { name: 'filename', type: 'filein' },
    { name: 'remotefilename', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'upload a host file into the guest',
  description: `Copy the local file filename (- for standard input) to remotefilename in the guest,
    creating it or truncating it first. A final symlink of remotefilename is followed inside the
    guest. The file is streamed, whatever its size. A device of the session (guestfish's
    Dev_or_Path) gets the file's bytes from its start, as upload-offset at 0: it must hold them all.`,
  async impl(ctx, [local, remote]) {
    if (await isSessionDevice(ctx.session, remote)) return uploadOffset.impl(ctx, [local, remote, 0]);
    const { upload } = await transfers();
    await upload(ctx.session, local, remote, io(ctx));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        title: 'upload a host file (made here by download) and check its md5',
        setup: [
          ['write', '/src', 'a file to copy, as libguestfs copies its COPYING.LIB\n'],
          ['download', '/src', 'COPYING.LIB'],
          ['mkdir', '/upload'],
        ],
        args: ['COPYING.LIB', '/upload/COPYING.LIB'],
        check: { run: ['checksum', 'md5', '/upload/COPYING.LIB'], expect: 'c0c25bd2fd8fb40f5296192cba1411f0' },
      },
      {
        title: 'upload a host file made by download',
        setup: [
          ['write', '/f', 'hello\n'],
          ['download', '/f', 'local.txt'],
        ],
        args: ['local.txt', '/g'],
        check: { run: ['cat', '/g'], expect: 'hello\n' },
      },
      { args: ['/proc/sys/kernel/ostype', '/f'], check: { run: ['cat', '/f'], expect: 'Linux\n' } },
      {
        title: 'a character device is streamed: /dev/null truncates',
        setup: [['write', '/f', 'hello']],
        args: ['/dev/null', '/f'],
        check: { run: ['filesize', '/f'], expect: '0' },
      },
      { args: ['missing.txt', '/f'], error: /missing\.txt: No such file or directory/ },
      { readonly: true, args: ['/dev/null', '/f'], error: /read-only/ },
      {
        title: 'upload to a device writes the file from its start',
        disk: 'disk',
        args: ['/proc/sys/kernel/ostype', '/dev/sda'],
        check: { run: ['pread-device', '/dev/sda', '6', '0'], expect: 'Linux' },
      },
      {
        title: 'upload to a device of a read-only drive',
        disk: 'disk',
        readonly: true,
        args: ['/proc/sys/kernel/ostype', '/dev/sda'],
        error: /\/dev\/sda: the drive is read-only/,
      },
    ];
  },
});

export const downloadOp = defineOp({
  name: 'download',
  group: 'transfer',
  args: [
    { name: 'remotefilename', type: 'path' },
    { name: 'filename', type: 'fileout' },
  ],
  // to - the file's bytes go to the output as they are
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'download a guest file to the host',
  description: `Copy the guest file remotefilename to the local file filename (- for standard
    output), creating or truncating it. A final symlink of remotefilename is followed inside the
    guest. The file is streamed, whatever its size.`,
  async impl(ctx, [remote, local]) {
    const { download } = await transfers();
    await download(ctx.session, remote, local, ctx.out, io(ctx));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        title: 'download to a host file, then upload it back unchanged',
        setup: [
          ['mkdir', '/download'],
          ['write', '/download/COPYING.LIB', 'a file to copy, as libguestfs copies its COPYING.LIB\n'],
        ],
        args: ['/download/COPYING.LIB', 'testdownload.tmp'],
        after: [['upload', 'testdownload.tmp', '/download/upload']],
        check: { run: ['checksum', 'md5', '/download/upload'], expect: 'c0c25bd2fd8fb40f5296192cba1411f0' },
      },
      {
        title: 'download to standard output: the bytes libguestfs checks by md5 after the round trip',
        setup: [
          ['mkdir', '/download'],
          ['write', '/download/COPYING.LIB', 'a file to copy, as libguestfs copies its COPYING.LIB\n'],
        ],
        args: ['/download/COPYING.LIB', '-'],
        expect: 'a file to copy, as libguestfs copies its COPYING.LIB',
      },
      { setup: [['write', '/f', 'hello\n']], args: ['/f', '-'], expect: 'hello' },
      {
        setup: [['write', '/f', 'hello\n']],
        args: ['/f', 'local.txt'],
        expect: '',
        check: { run: ['upload', 'local.txt', '/g'], expect: '' },
      },
      { args: ['/missing', '-'], error: /\/missing: No such file or directory/ },
      { setup: [['mkdir', '/d']], args: ['/d', '-'], error: /\/d: Is a directory/ },
    ];
  },
});

/** Split `a b c DIR` into the sources and the directory; at least one source. */
function sourcesAndDir(
  cmd: { readonly name: string; readonly args: readonly ArgSpec[] },
  first: string,
  rest: string[],
): [string[], string] {
  const all = [first, ...rest];
  const dir = all.pop();
  if (all.length === 0 || dir === undefined) throw new JootError('EINVAL', `expected at least 2 arguments: usage: ${usage(cmd)}`);
  return [all, dir];
}

const copyInArgs = [
  { name: 'localpath', type: 'string' },
  { name: 'remotedir', type: 'string', variadic: true },
] as const satisfies readonly ArgSpec[];

export const copyInOp = defineOp({
  name: 'copy-in',
  group: 'transfer',
  args: copyInArgs,
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'copy host files or directories into the guest',
  description: `copy-in localpath [localpath ...] remotedir: copy each local file or directory,
    recursively, into remotedir, an existing guest directory. Modes, times and numeric owners are
    kept and symlinks are copied as links with their target unchanged. An entry already in the
    way in the guest (a file or a symlink) is replaced, never written through.`,
  async impl(ctx, [first, rest]) {
    const [locals, dir] = sourcesAndDir({ name: 'copy-in', args: copyInArgs }, first, rest);
    if (!dir.startsWith('/')) throw new JootError('EINVAL', `remotedir: '${dir}' is not an absolute path (it must start with /)`);
    const { copyIn } = await transfers();
    await copyIn(ctx.session, locals, dir, io(ctx));
    return undefined;
  },
  guestfishDiffers:
    "guestfish's own command (not a generator action: libguestfs's copy_in is hidden from guestfish); libguestfs has no per-action test for it",
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'copy-in a host tree made by copy-out',
        setup: [
          ['mkdir-p', '/d/e'],
          ['write', '/d/e/f', 'hello\n'],
          ['copy-out', '/d', '.'],
          ['mkdir', '/in'],
        ],
        args: ['d', '/in'],
        check: { run: ['cat', '/in/d/e/f'], expect: 'hello\n' },
      },
      { args: ['/proc/sys/kernel/ostype', '/'], check: { run: ['cat', '/ostype'], expect: 'Linux\n' } },
      { args: ['/dev/null'], error: /expected at least 2 arguments: usage: copy-in localpath remotedir\.\.\./ },
      { args: ['/dev/null', 'd'], error: /remotedir: 'd' is not an absolute path/ },
    ];
  },
});

const copyOutArgs = [
  { name: 'remotepath', type: 'path' },
  { name: 'localdir', type: 'string', variadic: true },
] as const satisfies readonly ArgSpec[];

export const copyOutOp = defineOp({
  name: 'copy-out',
  group: 'transfer',
  args: copyOutArgs,
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'copy guest files or directories to the host',
  description: `copy-out remotepath [remotepath ...] localdir: copy each guest file or directory,
    recursively, into localdir, an existing host directory. Guest symlinks are never followed,
    not even a final one: they are recreated on the host as links with their target unchanged,
    and a host entry in the way is replaced, never written through. Modes (without set-user-ID
    and set-group-ID), times and, as root, numeric owners are kept; device nodes, FIFOs and
    sockets are skipped with a warning.`,
  async impl(ctx, [first, rest]) {
    const [remotes, dir] = sourcesAndDir({ name: 'copy-out', args: copyOutArgs }, first, rest);
    const bad = remotes.find((r) => !r.startsWith('/'));
    if (bad !== undefined) throw new JootError('EINVAL', `remotepath: '${bad}' is not an absolute path (it must start with /)`);
    const { copyOut } = await transfers();
    await copyOut(ctx.session, remotes, dir, io(ctx));
    return undefined;
  },
  guestfishDiffers:
    "guestfish's own command (not a generator action: libguestfs's copy_out is hidden from guestfish); libguestfs has no per-action test for it",
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'copy-out a guest tree (the host copy is read back by upload)',
        setup: [
          ['mkdir-p', '/d/e'],
          ['write', '/d/e/f', 'hello\n'],
        ],
        args: ['/d', '.'],
        check: { run: ['upload', 'd/e/f', '/g'], expect: '' },
      },
      { args: ['/missing', '.'], error: /\/missing: No such file or directory/ },
      { args: ['/f'], error: /expected at least 2 arguments: usage: copy-out remotepath localdir\.\.\./ },
      { args: ['/f', 'g', '.'], error: /remotepath: 'g' is not an absolute path/ },
    ];
  },
});

export const records = [uploadOp, downloadOp, copyInOp, copyOutOp] as const;
