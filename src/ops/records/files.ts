// Reading and writing the guest's files, by guest paths under the mounted filesystems. Paths
// resolve inside the guest (an absolute symlink points into the guest, never the host). Writes
// go through the session's GuestWriter: in a read-only session they fail with
// "PATH: the session is read-only"; on a filesystem mounted read-only, with the kernel's
// "PATH: Read-only file system". What a file holds (cat, head, tail) is written exactly, also to
// a terminal; names (ls, ll, find, readlink) are guest text, escaped on a terminal (output.ts).
import { contentLines } from '../../core/output.js';
import { defineCommand } from '../record.js';
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

export const ls = defineCommand({
  name: 'ls',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  needsLaunch: true,
  summary: 'list the files in a directory',
  description: `List the names in the directory, one per line, sorted ("." and ".." are left out).`,
  async run(ctx, [dir]) {
    await ctx.out.lines(await ctx.session.readdir(dir));
  },
});

export const cat = defineCommand({
  name: 'cat',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'print the contents of a file',
  description: `Write the contents of the file to standard output, byte for byte (no newline is added).`,
  async run(ctx, [path]) {
    await ctx.out.write(await ctx.session.readFile(path));
  },
});

function predicate(name: string, summary: string, description: string, test: 'exists' | 'isFile' | 'isDir') {
  return defineCommand({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    needsLaunch: true,
    summary,
    description: `${description} Prints true or false.`,
    async run(ctx, [path]) {
      await ctx.out.lines([String(await ctx.session[test](path))]);
    },
  });
}

export const exists = predicate('exists', 'test if a file or directory exists', 'Test whether the path exists.', 'exists');
export const isFile = predicate('is-file', 'test if a path is a regular file', 'Test whether the path is a regular file.', 'isFile');
export const isDir = predicate('is-dir', 'test if a path is a directory', 'Test whether the path is a directory.', 'isDir');

export const ll = defineCommand({
  name: 'll',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  needsLaunch: true,
  summary: 'list the files in a directory in long format',
  description: `List the directory as "ls -la" does: a "total" line, then mode, links, owner, group, size,
    date and name for ".", ".." and every entry, sorted by name; symlinks show their target. Owners
    are numeric (root for 0), dates UTC.`,
  async run(ctx, [dir]) {
    await ctx.out.lines(await longListing(ctx.session.reader, dir));
  },
});

function lineCommand(name: string, which: 'head' | 'tail') {
  return defineCommand({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    needsLaunch: true,
    summary: `print the ${which === 'head' ? 'first' : 'last'} 10 lines of a file`,
    description: `Print the ${which === 'head' ? 'first' : 'last'} 10 lines of the file, one per line. The file is
      streamed, whatever its size.`,
    async run(ctx, [path]) {
      const fn = which === 'head' ? headLines : tailLines;
      await ctx.out.write(contentLines(await fn(ctx.session.reader, path, 10)));
    },
  });
}

export const head = lineCommand('head', 'head');
export const tail = lineCommand('tail', 'tail');

export const headN = defineCommand({
  name: 'head-n',
  group: 'files',
  args: [
    { name: 'nrlines', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'print the first N lines of a file',
  description: `Print the first nrlines lines of the file. A negative nrlines prints every line except the
    last -nrlines; 0 prints nothing.`,
  async run(ctx, [n, path]) {
    await ctx.out.write(contentLines(await headLines(ctx.session.reader, path, n)));
  },
});

export const tailN = defineCommand({
  name: 'tail-n',
  group: 'files',
  args: [
    { name: 'nrlines', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'print the last N lines of a file',
  description: `Print the last nrlines lines of the file. A negative nrlines prints from line -nrlines
    (counting from 1) to the end; 0 prints nothing.`,
  async run(ctx, [n, path]) {
    await ctx.out.write(contentLines(await tailLines(ctx.session.reader, path, n)));
  },
});

export const write = defineCommand({
  name: 'write',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'content', type: 'string' },
  ],
  needsLaunch: true,
  summary: 'create or replace a file with the given content',
  description: `Write the content (exactly, no newline added) to the file, creating it or truncating it
    first. A final symlink is followed inside the guest.`,
  async run(ctx, [path, content]) {
    await ctx.session.writer.write(path, content);
  },
});

export const writeAppend = defineCommand({
  name: 'write-append',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'content', type: 'string' },
  ],
  needsLaunch: true,
  summary: 'append content to a file',
  description: `Append the content (exactly, no newline added) to the end of the file, creating it if it
    does not exist.`,
  async run(ctx, [path, content]) {
    await ctx.session.writer.write(path, content, { append: true });
  },
});

export const touch = defineCommand({
  name: 'touch',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'create an empty file or update its timestamps',
  description: `Set the file's access and modification times to now, creating it empty if it does not
    exist. Only regular files can be touched.`,
  async run(ctx, [path]) {
    await ctx.session.writer.touch(path);
  },
});

export const mkdir = defineCommand({
  name: 'mkdir',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'create a directory',
  description: `Create the directory. Its parent must exist and it must not.`,
  async run(ctx, [path]) {
    await ctx.session.writer.mkdir(path);
  },
});

export const mkdirP = defineCommand({
  name: 'mkdir-p',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'create a directory and its parents',
  description: `Create the directory and any missing parents; no error if it exists already.`,
  async run(ctx, [path]) {
    await ctx.session.writer.mkdir(path, { parents: true });
  },
});

export const rm = defineCommand({
  name: 'rm',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'remove a file',
  description: `Remove the file (a symlink itself, not its target). Directories are refused: use rmdir or
    rm-rf.`,
  async run(ctx, [path]) {
    await ctx.session.writer.rm(path);
  },
});

export const rmRf = defineCommand({
  name: 'rm-rf',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'remove a file or a directory tree',
  description: `Remove the file or the directory and everything below it, like "rm -rf": no error if it
    does not exist. Symlinks inside the tree are removed, never followed.`,
  async run(ctx, [path]) {
    await ctx.session.writer.rm(path, { recursive: true, force: true });
  },
});

export const rmdir = defineCommand({
  name: 'rmdir',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'remove an empty directory',
  description: `Remove the directory, which must be empty.`,
  async run(ctx, [path]) {
    await ctx.session.writer.rmdir(path);
  },
});

function copyCommand(name: string, summary: string, description: string, opts: { archive?: boolean; recursive?: boolean }) {
  return defineCommand({
    name,
    group: 'files',
    args: [
      { name: 'src', type: 'path' },
      { name: 'dest', type: 'path' },
    ],
    needsLaunch: true,
    summary,
    description,
    async run(ctx, [src, dest]) {
      await ctx.session.writer.cp(src, dest, opts);
    },
  });
}

export const cp = copyCommand('cp', 'copy a file', `Copy the file src to dest (a file, or a directory to copy into).`, {});
export const cpA = copyCommand(
  'cp-a',
  'copy a file or directory keeping its attributes',
  `Copy src to dest recursively like "cp -a": modes, owners and times are kept and symlinks are
    copied as links.`,
  { archive: true },
);
export const cpR = copyCommand(
  'cp-r',
  'copy a file or directory recursively',
  `Copy src to dest recursively like "cp -r"; symlinks are copied as links.`,
  { recursive: true },
);

export const mv = defineCommand({
  name: 'mv',
  group: 'files',
  args: [
    { name: 'src', type: 'path' },
    { name: 'dest', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'move or rename a file',
  description: `Move src to dest (a new name, or a directory to move into).`,
  async run(ctx, [src, dest]) {
    await ctx.session.writer.mv(src, dest);
  },
});

export const chmod = defineCommand({
  name: 'chmod',
  group: 'files',
  args: [
    { name: 'mode', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'change the permissions of a file',
  description: `Set the permission bits of the file. The mode is a number: write it in octal with a leading
    0, as in chmod 0755 /path (plain 755 is decimal, as in guestfish).`,
  async run(ctx, [mode, path]) {
    await ctx.session.writer.chmod(mode, path);
  },
});

function chownCommand(name: string, follow: boolean) {
  return defineCommand({
    name,
    group: 'files',
    args: [
      { name: 'owner', type: 'int' },
      { name: 'group', type: 'int' },
      { name: 'path', type: 'path' },
    ],
    needsLaunch: true,
    summary: follow ? 'change the owner and group of a file' : 'change the owner and group of a symlink itself',
    description: `Set the numeric owner and group of the file (-1 leaves one unchanged); names are not
      looked up. ${follow ? 'A final symlink is followed inside the guest (lchown changes the link itself).' : 'A symlink is changed itself, not followed.'}`,
    async run(ctx, [owner, group, path]) {
      await ctx.session.writer.chown(owner, group, path, { follow });
    },
  });
}

export const chown = chownCommand('chown', true);
export const lchown = chownCommand('lchown', false);

function symlinkCommand(name: string, force: boolean) {
  return defineCommand({
    name,
    group: 'files',
    args: [
      { name: 'target', type: 'string' },
      { name: 'linkname', type: 'path' },
    ],
    needsLaunch: true,
    summary: force ? 'create a symbolic link, replacing what is there' : 'create a symbolic link',
    description: `Create linkname as a symbolic link to target (stored as given; an absolute target is read
      inside the guest).${force ? ' An existing file at linkname is replaced.' : ''}`,
    async run(ctx, [target, linkname]) {
      await ctx.session.writer.symlink(target, linkname, { force });
    },
  });
}

export const lnS = symlinkCommand('ln-s', false);
export const lnSf = symlinkCommand('ln-sf', true);

export const readlink = defineCommand({
  name: 'readlink',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'print the target of a symbolic link',
  description: `Print the link text of the symbolic link, as stored.`,
  async run(ctx, [path]) {
    await ctx.out.lines([await ctx.session.readlink(path)]);
  },
});

export const realpath = defineCommand({
  name: 'realpath',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'print the canonical path of a file',
  description: `Print the absolute guest path with every symlink, "." and ".." resolved, inside the
    guest.`,
  async run(ctx, [path]) {
    await ctx.out.lines([await guestRealpath(ctx.session.reader, path)]);
  },
});

function statCommand(name: string, follow: boolean) {
  return defineCommand({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    needsLaunch: true,
    summary: follow ? 'print the file information' : 'print the file information, not following a symlink',
    description: `Print the stat(2) structure of the file as guestfish does, one "field: value" per line: dev,
      ino, mode, nlink, uid, gid, rdev, size, blksize, blocks, atime, mtime, ctime (times in seconds
      since the epoch). ${follow ? 'A final symlink is followed inside the guest.' : 'A symlink is described itself.'}`,
    async run(ctx, [path]) {
      await ctx.out.lines(await statRecord(ctx.session.reader, path, follow));
    },
  });
}

export const stat = statCommand('stat', true);
export const lstat = statCommand('lstat', false);

export const filesize = defineCommand({
  name: 'filesize',
  group: 'files',
  args: [{ name: 'file', type: 'path' }],
  needsLaunch: true,
  summary: 'print the size of a file in bytes',
  description: `Print the size of the file in bytes (a final symlink is followed).`,
  async run(ctx, [path]) {
    await ctx.out.lines([String(await guestFileSize(ctx.session.reader, path))]);
  },
});

export const checksumCmd = defineCommand({
  name: 'checksum',
  group: 'files',
  args: [
    { name: 'csumtype', type: 'string' },
    { name: 'path', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'print the checksum of a file',
  description: `Print the checksum of the file as lower-case hex. csumtype is one of ${CHECKSUM_TYPES.join(', ')}.
    The file is streamed, whatever its size.`,
  async run(ctx, [type, path]) {
    await ctx.out.lines([await checksum(ctx.session.reader, type, path)]);
  },
});

export const find = defineCommand({
  name: 'find',
  group: 'files',
  args: [{ name: 'directory', type: 'path' }],
  needsLaunch: true,
  summary: 'list every file below a directory, recursively',
  description: `List every file and directory below the directory, recursively, as paths relative to it
    (a, b, c, c/d), sorted. Symlinks are listed, not followed.`,
  async run(ctx, [dir]) {
    await ctx.out.lines(await findAll(ctx.session.reader, dir));
  },
});

export const commands = [
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
];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
