// Reading and writing the guest's files, by guest paths under the mounted filesystems. Paths
// resolve inside the guest (an absolute symlink points into the guest, never the host). Writes
// go through the session's GuestWriter: in a read-only session they fail with
// "PATH: the session is read-only"; on a filesystem mounted read-only, with the kernel's
// "PATH: Read-only file system". What a file holds (cat, head, tail) is written exactly, also to
// a terminal ('stream'); names (ls, ll, find, readlink) are guest text, escaped on a terminal
// (output.ts). Return types follow libguestfs's actions, except ll (a list of lines rather than
// one string, so that each line is escaped as before) and head/tail (the file's own lines are
// content, written exactly).
import { JootError } from '../../core/errors.js';
import { contentLines } from '../../core/output.js';
import {
  CHECKSUM_TYPES,
  checksum,
  findAll,
  guestFileSize,
  guestRealpath,
  headLines,
  longListing,
  statRecord,
  tailLines,
} from '../file-ops.js';
import { defineOp, type OpTest } from '../op.js';

/** A line of libguestfs's /10klines (guestfs-test.iso): `NNNabcdefghijklmnopqrstuvwxyz`. */
const klines = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${from + i}abcdefghijklmnopqrstuvwxyz`).join('\n');

export const ls = defineOp({
  name: 'ls',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the files in a directory',
  description: `List the names in the directory, one per line, sorted ("." and ".." are left out).`,
  async impl(ctx, [dir]) {
    return ctx.session.readdir(dir);
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/ls'],
          ['touch', '/ls/new'],
          ['touch', '/ls/newer'],
          ['touch', '/ls/newest'],
        ],
        args: ['/ls'],
        expect: 'new\nnewer\nnewest',
      },
      {
        setup: [
          ['mkdir', '/d'],
          ['touch', '/d/b'],
          ['touch', '/d/a'],
          ['mkdir', '/d/c'],
        ],
        args: ['/d'],
        expect: 'a\nb\nc',
      },
      { setup: [['mkdir', '/d']], args: ['/d'], expect: '', title: 'ls of an empty directory prints nothing' },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const cat = defineOp({
  name: 'cat',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print the contents of a file',
  description: `Write the contents of the file to standard output, byte for byte, then one newline, as
    guestfish prints its string result: a file holding "abc\\n" prints "abc\\n\\n", an empty file one
    empty line. (download FILE - writes the bytes alone.)`,
  stringResult: true,
  async impl(ctx, [path]) {
    await ctx.out.write(await ctx.session.readFile(path));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/known-2'], expect: 'abcdef\n' },
      { setup: [['write', '/f', 'hello\nworld']], args: ['/f'], expect: /^hello\nworld\n$/ },
      {
        setup: [['write', '/f', 'abc\n']],
        args: ['/f'],
        expect: /^abc\n\n$/,
        title: 'a newline follows the bytes, as guestfish prints a string',
      },
      { setup: [['touch', '/e']], args: ['/e'], expect: /^\n$/, title: 'cat of an empty file prints one empty line' },
      {
        setup: [
          ['mkdir-p', '/a/b'],
          ['write', '/a/b/f', 'x'],
          ['ln-s', '/a/b', '/l'],
        ],
        args: ['/l/f'],
        expect: 'x',
      },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

function predicate<const N extends string>(
  name: N,
  summary: string,
  description: string,
  test: 'exists' | 'isFile' | 'isDir',
  tests: readonly OpTest[],
) {
  return defineOp({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    returns: 'bool',
    needsLaunch: true,
    writes: false,
    summary,
    description: `${description} Prints true or false.`,
    async impl(ctx, [path]) {
      return ctx.session[test](path);
    },
    tests,
  });
}

/** Whether an lstat error only says the path is not there (is-file and is-dir print false). */
function absent(e: unknown): boolean {
  return e instanceof JootError && (e.code === 'ENOENT' || e.code === 'EINVAL');
}

// guestfish's is-file and is-dir look at the path itself (lstat): a symlink is neither, unless
// followsymlinks:true asks for what the links lead to.
function typePredicate<const N extends string>(name: N, what: 'file' | 'dir', tests: readonly OpTest[]) {
  const noun = what === 'file' ? 'a regular file' : 'a directory';
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'path', type: 'path' },
      { name: 'followsymlinks', type: 'bool', optional: true, named: true },
    ],
    returns: 'bool',
    needsLaunch: true,
    writes: false,
    summary: `test if a path is ${noun}`,
    description: `Test whether the path is ${noun}. A symlink is not (the link itself is looked at), unless
      followsymlinks:true, when a symlink, or chain of them, ending at ${noun} counts too (inside the
      guest). Prints true or false.`,
    async impl(ctx, [path, follow]) {
      if (follow) return what === 'file' ? ctx.session.isFile(path) : ctx.session.isDir(path);
      try {
        const st = await ctx.session.lstat(path);
        return what === 'file' ? st.isFile : st.isDirectory;
      } catch (e) {
        if (absent(e)) return false;
        throw e;
      }
    },
    tests,
  });
}

export const exists = predicate('exists', 'test if a file or directory exists', 'Test whether the path exists.', 'exists', [
  { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: 'true' },
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'true' },
  { setup: [['write', '/f', '']], args: ['/f'], expect: 'true' },
  { args: ['/'], expect: 'true' },
  { args: ['/nope'], expect: 'false' },
]);
const LINKS = [
  ['write', '/f', ''],
  ['mkdir', '/d'],
  ['ln-s', 'f', '/lf'],
  ['ln-s', '/d', '/ld'],
];
export const isFile = typePredicate('is-file', 'file', [
  { from: 'libguestfs', disk: 'iso', args: ['/known-1'], expect: 'true' },
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'false' },
  { from: 'libguestfs', disk: 'iso', args: ['/abssymlink', 'followsymlinks:true'], expect: 'true' },
  { setup: [['write', '/f', '']], args: ['/f'], expect: 'true' },
  { setup: [['mkdir', '/d']], args: ['/d'], expect: 'false' },
  { args: ['/nope'], expect: 'false' },
  { setup: LINKS, args: ['/lf'], expect: 'false', title: 'is-file of a symlink to a file is false' },
  { setup: LINKS, args: ['/lf', 'followsymlinks:true'], expect: 'true' },
  { setup: LINKS, args: ['/ld', 'followsymlinks:true'], expect: 'false' },
  { args: ['/nope', 'followsymlinks:true'], expect: 'false' },
]);
export const isDir = typePredicate('is-dir', 'dir', [
  { from: 'libguestfs', disk: 'iso', args: ['/known-3'], expect: 'false' },
  { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'true' },
  { setup: [['mkdir', '/d']], args: ['/d'], expect: 'true' },
  { setup: [['write', '/f', '']], args: ['/f'], expect: 'false' },
  { setup: LINKS, args: ['/ld'], expect: 'false', title: 'is-dir of a symlink to a directory is false' },
  { setup: LINKS, args: ['/ld', 'followsymlinks:true'], expect: 'true' },
  { setup: LINKS, args: ['/lf', 'followsymlinks:false'], expect: 'false' },
]);

export const ll = defineOp({
  name: 'll',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the files in a directory in long format',
  description: `List the directory as "ls -la" does: a "total" line, then mode, links, owner, group, size,
    date and name for ".", ".." and every entry, sorted by name; symlinks show their target. Owners
    are numeric (root for 0), dates UTC.`,
  async impl(ctx, [dir]) {
    return longListing(ctx.session.reader, dir);
  },
  guestfishDiffers: "libguestfs has no test for ll: its output is ls -la's, which changes between versions (its test_excuse)",
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['mkdir', '/d'],
          ['write', '/d/f', 'hello'],
          ['chown', '1000', '1000', '/d/f'],
          ['ln-s', 'f', '/d/l'],
        ],
        args: ['/d'],
        expect:
          /^total \d+\ndr[-rwx]{8} +\d+ root root +\d+ .{12} \.\ndr[-rwx]{8} +\d+ root root +\d+ .{12} \.\.\n-rw-r--r-- 1 1000 1000 +5 .{12} f\nlrwxrwxrwx 1 root root +1 .{12} l -> f\n$/,
      },
      { setup: [['write', '/f', '']], args: ['/f'], error: /\/f: Not a directory/ },
    ];
  },
});

function lineOp<const N extends string>(name: N, which: 'head' | 'tail', tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    returns: 'stream',
    needsLaunch: true,
    writes: false,
    summary: `print the ${which === 'head' ? 'first' : 'last'} 10 lines of a file`,
    description: `Print the ${which === 'head' ? 'first' : 'last'} 10 lines of the file, one per line. The file is
      streamed, whatever its size.`,
    async impl(ctx, [path]) {
      const fn = which === 'head' ? headLines : tailLines;
      await ctx.out.write(contentLines(await fn(ctx.session.reader, path, 10)));
      return undefined;
    },
    tests,
  });
}

/** Twelve numbered lines, the last without its newline (it still counts as a line). */
const TWELVE = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n');
const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`).join('\n');

export const head = lineOp('head', 'head', [
  { from: 'libguestfs', disk: 'iso', args: ['/10klines'], expect: klines(0, 9) },
  { from: 'libguestfs', disk: 'iso', args: ['/abssymlink'], expect: klines(0, 9), title: 'head of an absolute symlink (RHBZ#579608)' },
  { setup: [['write', '/f', TWELVE]], args: ['/f'], expect: numbered(1, 10) },
  { setup: [['write', '/f', 'a\nb\n']], args: ['/f'], expect: 'a\nb', title: 'head of a short file prints all of it' },
  { setup: [['mkdir', '/d']], args: ['/d'], error: /\/d: Is a directory/ },
]);
export const tail = lineOp('tail', 'tail', [
  { from: 'libguestfs', disk: 'iso', args: ['/10klines'], expect: klines(9990, 9999) },
  { setup: [['write', '/f', TWELVE]], args: ['/f'], expect: numbered(3, 12) },
  { args: ['/nope'], error: /\/nope: No such file or directory/ },
]);

export const headN = defineOp({
  name: 'head-n',
  group: 'files',
  args: [
    { name: 'nrlines', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print the first N lines of a file',
  description: `Print the first nrlines lines of the file. A negative nrlines prints every line except the
    last -nrlines; 0 prints nothing.`,
  async impl(ctx, [n, path]) {
    await ctx.out.write(contentLines(await headLines(ctx.session.reader, path, n)));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['3', '/10klines'], expect: klines(0, 2) },
      { from: 'libguestfs', disk: 'iso', args: ['-9997', '/10klines'], expect: klines(0, 2) },
      { from: 'libguestfs', disk: 'iso', args: ['0', '/10klines'], expect: '' },
      { setup: [['write', '/f', TWELVE]], args: ['3', '/f'], expect: numbered(1, 3) },
      { setup: [['write', '/f', TWELVE]], args: ['-10', '/f'], expect: numbered(1, 2) },
      { setup: [['write', '/f', TWELVE]], args: ['0', '/f'], expect: '' },
      { args: ['0', '/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const tailN = defineOp({
  name: 'tail-n',
  group: 'files',
  args: [
    { name: 'nrlines', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print the last N lines of a file',
  description: `Print the last nrlines lines of the file. A negative nrlines prints from line -nrlines
    (counting from 1) to the end; 0 prints nothing.`,
  async impl(ctx, [n, path]) {
    await ctx.out.write(contentLines(await tailLines(ctx.session.reader, path, n)));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['3', '/10klines'], expect: klines(9997, 9999) },
      { from: 'libguestfs', disk: 'iso', args: ['-9998', '/10klines'], expect: klines(9997, 9999) },
      { from: 'libguestfs', disk: 'iso', args: ['0', '/10klines'], expect: '' },
      { setup: [['write', '/f', TWELVE]], args: ['2', '/f'], expect: numbered(11, 12) },
      { setup: [['write', '/f', TWELVE]], args: ['-11', '/f'], expect: numbered(11, 12) },
      { setup: [['write', '/f', TWELVE]], args: ['0', '/f'], expect: '' },
    ];
  },
});

export const write = defineOp({
  name: 'write',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'content', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create or replace a file with the given content',
  description: `Write the content (exactly, no newline added) to the file, creating it or truncating it
    first. A final symlink is followed inside the guest.`,
  async impl(ctx, [path, content]) {
    await ctx.session.writer.write(path, content);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/write', 'new file contents'], check: { run: ['cat', '/write'], expect: 'new file contents' } },
      {
        from: 'libguestfs',
        args: ['/write2', '\nnew file contents\n'],
        check: { run: ['cat', '/write2'], expect: '\nnew file contents\n' },
      },
      { from: 'libguestfs', args: ['/write3', '\n\n'], check: { run: ['cat', '/write3'], expect: '\n\n' } },
      { from: 'libguestfs', args: ['/write4', ''], check: { run: ['cat', '/write4'], expect: '' } },
      { from: 'libguestfs', args: ['/write5', '\n\n\n'], check: { run: ['cat', '/write5'], expect: '\n\n\n' } },
      { from: 'libguestfs', args: ['/write6', '\n'], check: { run: ['cat', '/write6'], expect: '\n' } },
      { setup: [['write', '/f', 'a longer old content']], args: ['/f', 'new'], expect: '', check: { run: ['cat', '/f'], expect: 'new' } },
      {
        setup: [
          ['write', '/t', 'old'],
          ['ln-s', '/t', '/l'],
        ],
        args: ['/l', 'new'],
        title: 'write follows a final symlink inside the guest',
        check: { run: ['cat', '/t'], expect: 'new' },
      },
      { readonly: true, args: ['/f', 'x'], error: /\/f: the session is read-only/ },
    ];
  },
});

export const writeAppend = defineOp({
  name: 'write-append',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'content', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'append content to a file',
  description: `Append the content (exactly, no newline added) to the end of the file, creating it if it
    does not exist.`,
  async impl(ctx, [path, content]) {
    await ctx.session.writer.write(path, content, { append: true });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['write', '/write_append', 'line1\n'],
          ['write-append', '/write_append', 'line2\n'],
          ['write-append', '/write_append', 'line3a'],
        ],
        args: ['/write_append', 'line3b\n'],
        check: { run: ['cat', '/write_append'], expect: 'line1\nline2\nline3aline3b\n' },
      },
      { setup: [['write', '/f', 'ab']], args: ['/f', 'cd'], expect: '', check: { run: ['cat', '/f'], expect: 'abcd' } },
      { args: ['/new', 'x'], check: { run: ['cat', '/new'], expect: 'x' } },
    ];
  },
});

export const touch = defineOp({
  name: 'touch',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create an empty file or update its timestamps',
  description: `Set the file's access and modification times to now, creating it empty if it does not
    exist. Only regular files can be touched.`,
  async impl(ctx, [path]) {
    await ctx.session.writer.touch(path);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/touch'], check: { run: ['exists', '/touch'], expect: 'true' } },
      { args: ['/f'], expect: '', check: { run: ['filesize', '/f'], expect: '0' } },
      {
        setup: [['write', '/f', 'keep']],
        args: ['/f'],
        title: 'touch keeps what a file holds',
        check: { run: ['cat', '/f'], expect: 'keep' },
      },
      { setup: [['mkdir', '/d']], args: ['/d'], error: /\/d: touch can only be used on regular files/ },
    ];
  },
});

export const mkdir = defineOp({
  name: 'mkdir',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a directory',
  description: `Create the directory. Its parent must exist and it must not.`,
  async impl(ctx, [path]) {
    await ctx.session.writer.mkdir(path);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/mkdir'], check: { run: ['is-dir', '/mkdir'], expect: 'true' } },
      { from: 'libguestfs', args: ['/mkdir2/foo/bar'], error: /mkdir2\/foo\/bar: No such file or directory/ },
      { args: ['/d'], expect: '', check: { run: ['is-dir', '/d'], expect: 'true' } },
      { args: ['/a/b'], error: /\/a\/b: No such file or directory/ },
      { setup: [['mkdir', '/d']], args: ['/d'], title: 'mkdir of an existing directory fails', error: /\/d: File exists/ },
    ];
  },
});

export const mkdirP = defineOp({
  name: 'mkdir-p',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a directory and its parents',
  description: `Create the directory and any missing parents; no error if it exists already.`,
  async impl(ctx, [path]) {
    await ctx.session.writer.mkdir(path, { parents: true });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/mkdir_p/foo/bar'], check: { run: ['is-dir', '/mkdir_p/foo/bar'], expect: 'true' } },
      { from: 'libguestfs', args: ['/mkdir_p2/foo/bar'], check: { run: ['is-dir', '/mkdir_p2/foo'], expect: 'true' } },
      { from: 'libguestfs', args: ['/mkdir_p3/foo/bar'], check: { run: ['is-dir', '/mkdir_p3'], expect: 'true' } },
      { from: 'libguestfs', setup: [['mkdir', '/mkdir_p4']], args: ['/mkdir_p4'], title: 'mkdir-p of an existing directory (RHBZ#503133)' },
      { from: 'libguestfs', setup: [['touch', '/mkdir_p5']], args: ['/mkdir_p5'], error: /mkdir_p5/ },
      { args: ['/a/b/c'], expect: '', check: { run: ['is-dir', '/a/b/c'], expect: 'true' } },
      { setup: [['mkdir', '/d']], args: ['/d'], expect: '' },
    ];
  },
});

export const rm = defineOp({
  name: 'rm',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove a file',
  description: `Remove the file (a symlink itself, not its target). Directories are refused: use rmdir or
    rm-rf.`,
  async impl(ctx, [path]) {
    await ctx.session.writer.rm(path);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/rm'],
          ['touch', '/rm/new'],
        ],
        args: ['/rm/new'],
      },
      { from: 'libguestfs', args: ['/nosuchfile'], error: /nosuchfile/ },
      { from: 'libguestfs', setup: [['mkdir', '/rm2']], args: ['/rm2'], error: /rm2/ },
      { setup: [['write', '/f', 'x']], args: ['/f'], expect: '', check: { run: ['exists', '/f'], expect: 'false' } },
      {
        setup: [
          ['write', '/t', 'x'],
          ['ln-s', '/t', '/l'],
        ],
        args: ['/l'],
        title: 'rm removes a symlink, not its target',
        check: { run: ['cat', '/t'], expect: 'x' },
      },
      { setup: [['mkdir', '/d']], args: ['/d'], error: /\/d: Is a directory/ },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const rmRf = defineOp({
  name: 'rm-rf',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove a file or a directory tree',
  description: `Remove the file or the directory and everything below it, like "rm -rf": no error if it
    does not exist. Symlinks inside the tree are removed, never followed.`,
  async impl(ctx, [path]) {
    await ctx.session.writer.rm(path, { recursive: true, force: true });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/rm_rf'],
          ['mkdir', '/rm_rf/foo'],
          ['touch', '/rm_rf/foo/bar'],
        ],
        args: ['/rm_rf'],
        check: { run: ['exists', '/rm_rf'], expect: 'false' },
      },
      {
        setup: [
          ['mkdir-p', '/a/b'],
          ['write', '/a/b/f', 'x'],
          ['write', '/keep', 'k'],
          ['ln-s', '/keep', '/a/l'],
        ],
        args: ['/a'],
        expect: '',
        check: { run: ['ls', '/'], expect: 'keep\nlost+found' },
      },
      { args: ['/nope'], expect: '' },
    ];
  },
});

export const rmdir = defineOp({
  name: 'rmdir',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove an empty directory',
  description: `Remove the directory, which must be empty.`,
  async impl(ctx, [path]) {
    await ctx.session.writer.rmdir(path);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', setup: [['mkdir', '/rmdir']], args: ['/rmdir'] },
      { from: 'libguestfs', args: ['/rmdir2'], error: /rmdir2/ },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/rmdir3'],
          ['touch', '/rmdir3/new'],
        ],
        args: ['/rmdir3/new'],
        error: /rmdir3\/new/,
      },
      { setup: [['mkdir', '/d']], args: ['/d'], expect: '', check: { run: ['exists', '/d'], expect: 'false' } },
      {
        setup: [
          ['mkdir', '/d'],
          ['touch', '/d/f'],
        ],
        args: ['/d'],
        title: 'rmdir refuses a directory that is not empty',
        error: /\/d: Directory not empty/,
      },
    ];
  },
});

function copyOp<const N extends string>(
  name: N,
  summary: string,
  description: string,
  opts: { archive?: boolean; recursive?: boolean },
  tests: readonly OpTest[],
) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'src', type: 'path' },
      { name: 'dest', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary,
    description,
    async impl(ctx, [src, dest]) {
      await ctx.session.writer.cp(src, dest, opts);
      return undefined;
    },
    tests,
  });
}

export const cp = copyOp('cp', 'copy a file', `Copy the file src to dest (a file, or a directory to copy into).`, {}, [
  {
    from: 'libguestfs',
    setup: [
      ['mkdir', '/cp'],
      ['write', '/cp/old', 'file content'],
    ],
    args: ['/cp/old', '/cp/new'],
    check: { run: ['cat', '/cp/new'], expect: 'file content' },
  },
  {
    from: 'libguestfs',
    setup: [
      ['mkdir', '/cp2'],
      ['write', '/cp2/old', 'file content'],
    ],
    args: ['/cp2/old', '/cp2/new'],
    check: { run: ['is-file', '/cp2/old'], expect: 'true' },
  },
  {
    from: 'libguestfs',
    setup: [
      ['mkdir', '/cp3'],
      ['write', '/cp3/old', 'file content'],
      ['mkdir', '/cp3/dir'],
    ],
    args: ['/cp3/old', '/cp3/dir/new'],
    check: { run: ['cat', '/cp3/dir/new'], expect: 'file content' },
  },
  { setup: [['write', '/f', 'hi']], args: ['/f', '/g'], expect: '', check: { run: ['cat', '/g'], expect: 'hi' } },
  {
    setup: [
      ['write', '/f', 'hi'],
      ['mkdir', '/d'],
    ],
    args: ['/f', '/d'],
    check: { run: ['cat', '/d/f'], expect: 'hi' },
  },
  { args: ['/nope', '/g'], error: /\/nope: No such file or directory/ },
]);
export const cpA = copyOp(
  'cp-a',
  'copy a file or directory keeping its attributes',
  `Copy src to dest recursively like "cp -a": modes, owners and times are kept and symlinks are
    copied as links.`,
  { archive: true },
  [
    {
      from: 'libguestfs',
      setup: [
        ['mkdir', '/cp_a1'],
        ['mkdir', '/cp_a2'],
        ['write', '/cp_a1/file', 'file content'],
      ],
      args: ['/cp_a1', '/cp_a2'],
      check: { run: ['cat', '/cp_a2/cp_a1/file'], expect: 'file content' },
    },
    {
      setup: [
        ['mkdir', '/d'],
        ['write', '/d/f', 'hi'],
        ['chmod', '0600', '/d/f'],
        ['chown', '7', '8', '/d/f'],
      ],
      args: ['/d', '/e'],
      expect: '',
      check: { run: ['stat', '/e/f'], expect: /^mode: 33152\nnlink: 1\nuid: 7\ngid: 8\n/m },
    },
    {
      setup: [
        ['mkdir', '/d'],
        ['ln-s', '/nowhere', '/d/l'],
      ],
      args: ['/d', '/e'],
      title: 'cp-a copies a symlink as a link',
      check: { run: ['readlink', '/e/l'], expect: '/nowhere' },
    },
  ],
);
export const cpR = copyOp(
  'cp-r',
  'copy a file or directory recursively',
  `Copy src to dest recursively like "cp -r"; symlinks are copied as links.`,
  { recursive: true },
  [
    {
      from: 'libguestfs',
      setup: [
        ['mkdir', '/cp_r1'],
        ['mkdir', '/cp_r2'],
        ['write', '/cp_r1/file', 'file content'],
      ],
      args: ['/cp_r1', '/cp_r2'],
      check: { run: ['cat', '/cp_r2/cp_r1/file'], expect: 'file content' },
    },
    {
      setup: [
        ['mkdir-p', '/d/e'],
        ['write', '/d/e/f', 'hi'],
      ],
      args: ['/d', '/x'],
      expect: '',
      check: { run: ['cat', '/x/e/f'], expect: 'hi' },
    },
  ],
);

export const mv = defineOp({
  name: 'mv',
  group: 'files',
  args: [
    { name: 'src', type: 'path' },
    { name: 'dest', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'move or rename a file',
  description: `Move src to dest (a new name, or a directory to move into).`,
  async impl(ctx, [src, dest]) {
    await ctx.session.writer.mv(src, dest);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/mv'],
          ['write', '/mv/old', 'file content'],
        ],
        args: ['/mv/old', '/mv/new'],
        check: { run: ['cat', '/mv/new'], expect: 'file content' },
      },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/mv2'],
          ['write', '/mv2/old', 'file content'],
        ],
        args: ['/mv2/old', '/mv2/new'],
        check: { run: ['is-file', '/mv2/old'], expect: 'false' },
      },
      { setup: [['write', '/f', 'hi']], args: ['/f', '/g'], expect: '', check: { run: ['ls', '/'], expect: 'g\nlost+found' } },
      {
        setup: [
          ['write', '/f', 'hi'],
          ['mkdir', '/d'],
        ],
        args: ['/f', '/d'],
        check: { run: ['cat', '/d/f'], expect: 'hi' },
      },
    ];
  },
});

export const chmod = defineOp({
  name: 'chmod',
  group: 'files',
  args: [
    { name: 'mode', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'change the permissions of a file',
  description: `Set the permission bits of the file. The mode is a number: write it in octal with a leading
    0, as in chmod 0755 /path (plain 755 is decimal, as in guestfish).`,
  async impl(ctx, [mode, path]) {
    await ctx.session.writer.chmod(mode, path);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test for chmod',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['write', '/f', '']], args: ['0700', '/f'], expect: '', check: { run: ['stat', '/f'], expect: /^mode: 33216$/m } },
      {
        setup: [['write', '/f', '']],
        args: ['448', '/f'],
        title: 'chmod 448 is decimal (0700)',
        check: { run: ['stat', '/f'], expect: /^mode: 33216$/m },
      },
      { args: ['0700', '/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

function chownOp<const N extends string>(name: N, follow: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'owner', type: 'int' },
      { name: 'group', type: 'int' },
      { name: 'path', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: follow ? 'change the owner and group of a file' : 'change the owner and group of a symlink itself',
    description: `Set the numeric owner and group of the file (-1 leaves one unchanged); names are not
      looked up. ${follow ? 'A final symlink is followed inside the guest (lchown changes the link itself).' : 'A symlink is changed itself, not followed.'}`,
    async impl(ctx, [owner, group, path]) {
      await ctx.session.writer.chown(owner, group, path, { follow });
      return undefined;
    },
    guestfishDiffers: `libguestfs has no test for ${name}`,
    tests,
  });
}

export const chown = chownOp('chown', true, [
  {
    setup: [['write', '/f', '']],
    args: ['1000', '1001', '/f'],
    expect: '',
    check: { run: ['stat', '/f'], expect: /^uid: 1000\ngid: 1001$/m },
  },
  {
    setup: [
      ['write', '/f', ''],
      ['chown', '5', '6', '/f'],
    ],
    args: ['-1', '9', '/f'],
    check: { run: ['stat', '/f'], expect: /^uid: 5\ngid: 9$/m },
  },
  {
    setup: [
      ['write', '/t', ''],
      ['ln-s', '/t', '/l'],
    ],
    args: ['3', '4', '/l'],
    title: 'chown follows a final symlink',
    check: { run: ['stat', '/t'], expect: /^uid: 3\ngid: 4$/m },
  },
]);
export const lchown = chownOp('lchown', false, [
  {
    setup: [
      ['write', '/t', ''],
      ['ln-s', '/t', '/l'],
    ],
    args: ['3', '4', '/l'],
    expect: '',
    check: { run: ['lstat', '/l'], expect: /^uid: 3\ngid: 4$/m },
  },
  {
    setup: [
      ['write', '/t', ''],
      ['ln-s', '/t', '/l'],
    ],
    args: ['3', '4', '/l'],
    title: 'lchown leaves the target alone',
    check: { run: ['stat', '/t'], expect: /^uid: 0\ngid: 0$/m },
  },
]);

function symlinkOp<const N extends string>(name: N, force: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'target', type: 'string' },
      { name: 'linkname', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: force ? 'create a symbolic link, replacing what is there' : 'create a symbolic link',
    description: `Create linkname as a symbolic link to target (stored as given; an absolute target is read
      inside the guest).${force ? ' An existing file at linkname is replaced.' : ''}`,
    async impl(ctx, [target, linkname]) {
      await ctx.session.writer.symlink(target, linkname, { force });
      return undefined;
    },
    tests,
  });
}

export const lnS = symlinkOp('ln-s', false, [
  {
    from: 'libguestfs',
    setup: [
      ['mkdir', '/ln_s'],
      ['touch', '/ln_s/a'],
    ],
    args: ['a', '/ln_s/b'],
    check: { run: ['lstat', '/ln_s/b'], expect: /^mode: 41471$/m },
  },
  { args: ['../some/target', '/l'], expect: '', check: { run: ['readlink', '/l'], expect: '../some/target' } },
  { setup: [['write', '/l', '']], args: ['/t', '/l'], error: /\/l: File exists/ },
]);
export const lnSf = symlinkOp('ln-sf', true, [
  {
    from: 'libguestfs',
    setup: [
      ['mkdir-p', '/ln_sf/b'],
      ['touch', '/ln_sf/b/c'],
    ],
    args: ['../d', '/ln_sf/b/c'],
    check: { run: ['readlink', '/ln_sf/b/c'], expect: '../d' },
  },
  { setup: [['write', '/l', 'x']], args: ['/t', '/l'], expect: '', check: { run: ['readlink', '/l'], expect: '/t' } },
  { args: ['/t', '/l'], title: 'ln-sf where nothing is yet', check: { run: ['readlink', '/l'], expect: '/t' } },
]);

export const readlink = defineOp({
  name: 'readlink',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the target of a symbolic link',
  description: `Print the link text of the symbolic link, as stored.`,
  async impl(ctx, [path]) {
    return ctx.session.readlink(path);
  },
  guestfishDiffers: 'libguestfs has no test of its own for readlink (its ln-sf test reads the link back: see ln-sf)',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['ln-s', '/etc/../x', '/l']], args: ['/l'], expect: '/etc/../x' },
      { setup: [['write', '/f', '']], args: ['/f'], error: /\/f/ },
    ];
  },
});

export const realpath = defineOp({
  name: 'realpath',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the canonical path of a file',
  description: `Print the absolute guest path with every symlink, "." and ".." resolved, inside the
    guest.`,
  async impl(ctx, [path]) {
    return guestRealpath(ctx.session.reader, path);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/../directory'], expect: '/directory' },
      {
        setup: [
          ['mkdir-p', '/a/b/c'],
          ['ln-s', '/a/b', '/l'],
        ],
        args: ['/l/./c/..'],
        expect: '/a/b',
      },
      {
        setup: [['ln-s', '../../../..', '/up']],
        args: ['/up'],
        expect: '/',
        title: 'realpath of a link climbing above / stays in the guest',
      },
      { args: ['/'], expect: '/' },
    ];
  },
});

function statOp<const N extends string>(name: N, follow: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    returns: 'struct',
    needsLaunch: true,
    writes: false,
    summary: follow ? 'print the file information' : 'print the file information, not following a symlink',
    description: `Print the stat(2) structure of the file as guestfish does, one "field: value" per line: dev,
      ino, mode, nlink, uid, gid, rdev, size, blksize, blocks, atime, mtime, ctime (times in seconds
      since the epoch). ${follow ? 'A final symlink is followed inside the guest.' : 'A symlink is described itself.'}`,
    async impl(ctx, [path]) {
      return statRecord(ctx.session.reader, path, follow);
    },
    tests,
  });
}

export const stat = statOp('stat', true, [
  { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: /^size: 0$/m },
  {
    setup: [
      ['write', '/f', 'hello'],
      ['chmod', '0640', '/f'],
    ],
    args: ['/f'],
    expect:
      /^dev: \d+\nino: \d+\nmode: 33184\nnlink: 1\nuid: 0\ngid: 0\nrdev: 0\nsize: 5\nblksize: \d+\nblocks: \d+\natime: \d+\nmtime: \d+\nctime: \d+\n$/,
  },
  {
    setup: [
      ['write', '/t', 'hello'],
      ['ln-s', 't', '/l'],
    ],
    args: ['/l'],
    expect: /^size: 5$/m,
  },
  { args: ['/nope'], error: /\/nope: No such file or directory/ },
]);
export const lstat = statOp('lstat', false, [
  { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: /^size: 0$/m },
  {
    setup: [
      ['write', '/t', 'hello'],
      ['ln-s', 't', '/l'],
    ],
    args: ['/l'],
    expect: /^mode: 41471\n(.*\n){4}size: 1$/m,
  },
]);

export const filesize = defineOp({
  name: 'filesize',
  group: 'files',
  args: [{ name: 'file', type: 'path' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the size of a file in bytes',
  description: `Print the size of the file in bytes (a final symlink is followed).`,
  async impl(ctx, [path]) {
    return guestFileSize(ctx.session.reader, path);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', setup: [['write', '/filesize', 'hello, world']], args: ['/filesize'], expect: '12' },
      {
        setup: [
          ['write', '/t', 'hello'],
          ['ln-s', '/t', '/l'],
        ],
        args: ['/l'],
        expect: '5',
      },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const checksumCmd = defineOp({
  name: 'checksum',
  group: 'files',
  args: [
    { name: 'csumtype', type: 'string' },
    { name: 'path', type: 'path' },
  ],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the checksum of a file',
  description: `Print the checksum of the file: for crc the POSIX cksum CRC in decimal (as guestfish, cksum's
    first field), for ${CHECKSUM_TYPES.slice(1).join(', ')} the digest in lower-case hex. guestfish's gost
    and gost12 are refused: this host has no GOST hash. The file is streamed, whatever its size.`,
  async impl(ctx, [type, path]) {
    return checksum(ctx.session.reader, type, path);
  },
  get tests(): readonly OpTest[] {
    return [
      // libguestfs's own /known-3 (guestfs-test.iso is built from its test-data) and its sums
      { from: 'libguestfs', disk: 'iso', args: ['crc', '/known-3'], expect: '2891671662' },
      { from: 'libguestfs', disk: 'iso', args: ['crc', '/notexists'], error: /\/notexists: No such file or directory/ },
      { from: 'libguestfs', disk: 'iso', args: ['md5', '/known-3'], expect: '46d6ca27ee07cdc6fa99c2e138cc522c' },
      { from: 'libguestfs', disk: 'iso', args: ['sha1', '/known-3'], expect: 'b7ebccc3ee418311091c3eda0a45b83c0a770f15' },
      { from: 'libguestfs', disk: 'iso', args: ['sha224', '/known-3'], expect: 'd2cd1774b28f3659c14116be0a6dc2bb5c4b350ce9cd5defac707741' },
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['sha256', '/known-3'],
        expect: '75bb71b90cd20cb13f86d2bea8dad63ac7194e7517c3b52b8d06ff52d3487d30',
      },
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['sha384', '/known-3'],
        expect: '5fa7883430f357b5d7b7271d3a1d2872b51d73cba72731de6863d3dea55f30646af2799bef44d5ea776a5ec7941ac640',
      },
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['sha512', '/known-3'],
        expect:
          '2794062c328c6b216dca90443b7f7134c5f40e56bd0ed7853123275a09982a6f992e6ca682f9d2fba34a4c5e870d8fe077694ff831e3032a004ee077e00603f6',
      },
      {
        from: 'libguestfs',
        disk: 'iso',
        title: "checksum sha512 of an absolute symlink (RHBZ#579608): /10klines, the same bytes as libguestfs's",
        args: ['sha512', '/abssymlink'],
        expect:
          '5f57d0639bc95081c53afc63a449403883818edc64da48930ad6b1a4fb49be90404686877743fbcd7c99811f3def7df7bc22635c885c6a8cf79c806b43451c1a',
      },
      { setup: [['write', '/f', 'hello']], args: ['md5', '/f'], expect: '5d41402abc4b2a76b9719d911017c592' },
      {
        setup: [['write', '/f', 'hello']],
        args: ['SHA256', '/f'],
        expect: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      },
      { setup: [['write', '/f', 'hello']], args: ['crc', '/f'], expect: '3287646509', title: 'crc is POSIX cksum, in decimal' },
      { setup: [['touch', '/e']], args: ['crc', '/e'], expect: '4294967295' },
      { setup: [['write', '/f', 'hello']], args: ['sha1', '/f'], expect: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d' },
      { setup: [['write', '/f', 'hello']], args: ['sha224', '/f'], expect: 'ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193' },
      {
        setup: [['write', '/f', 'hello']],
        args: ['sha384', '/f'],
        expect: '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f',
      },
      {
        setup: [['write', '/f', 'hello']],
        args: ['sha512', '/f'],
        expect:
          '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043',
      },
      { setup: [['write', '/f', 'hello']], args: ['gost', '/f'], error: /GOST checksums are not available/ },
      { setup: [['write', '/f', 'hello']], args: ['crc32', '/f'], error: /crc32: unknown checksum type, expecting crc, md5, sha1/ },
    ];
  },
});

export const find = defineOp({
  name: 'find',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list every file below a directory, recursively',
  description: `List every file and directory below the directory, recursively, as paths relative to it
    (a, b, c, c/d), sorted. Symlinks are listed, not followed.`,
  async impl(ctx, [dir]) {
    return findAll(ctx.session.reader, dir);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/'], expect: 'lost+found' },
      {
        from: 'libguestfs',
        setup: [
          ['touch', '/a'],
          ['mkdir', '/b'],
          ['touch', '/b/c'],
        ],
        args: ['/'],
        expect: 'a\nb\nb/c\nlost+found',
      },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir-p', '/find/b/c'],
          ['touch', '/find/b/c/d'],
        ],
        args: ['/find/b/'],
        expect: 'c\nc/d',
      },
      {
        setup: [
          ['mkdir-p', '/a/b'],
          ['touch', '/a/b/c'],
          ['touch', '/a/z'],
          ['ln-s', '/', '/a/l'],
        ],
        args: ['/a'],
        expect: 'b\nb/c\nl\nz',
      },
      { setup: [['write', '/f', '']], args: ['/f'], error: /\/f: Not a directory/ },
    ];
  },
});

export const records = [
  ls,
  ll,
  cat,
  head,
  tail,
  headN,
  tailN,
  exists,
  isFile,
  isDir,
  readlink,
  realpath,
  stat,
  lstat,
  filesize,
  checksumCmd,
  find,
  write,
  writeAppend,
  touch,
  mkdir,
  mkdirP,
  rm,
  rmRf,
  rmdir,
  cp,
  cpA,
  cpR,
  mv,
  chmod,
  chown,
  lchown,
  lnS,
  lnSf,
] as const;
