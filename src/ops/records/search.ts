// Searching and identifying guest files: guestfish's grep family (grep, egrep, fgrep, their -i
// and z variants) and file. Guest files are read through the guest reader only: patterns are
// matched in JavaScript (see editing/grep.ts), and file(1) gets bytes on stdin, never a path.
import { JootError } from '../../core/errors.js';
import type { GrepSyntax } from '../editing/grep.js';
import { defineOp, type OpTest } from '../op.js';

const SYNTAX: Record<GrepSyntax, { what: string }> = {
  basic: { what: 'a basic regular expression (grep)' },
  extended: { what: 'an extended regular expression (grep -E)' },
  fixed: { what: 'a fixed string (grep -F)' },
};

/** The grep tests' file: `foo+bar` is literal in a basic or fixed pattern, `fo+bar` in an extended one. */
const LINES = ['write', '/f', 'foo+bar\nfooobar\nFOO+BAR\nFOOOBAR\nother\n'];

/** A gzip-compressed guest file /z.gz whose content has the line foo+bar (a tar archive, made on the host). */
const GZIP_FILE = [
  ['mkdir', '/d'],
  ['write', '/d/f', '\nfoo+bar\n'],
  ['tar-out', '/d', 'd.tar.gz', 'compress:gzip'],
  ['upload', 'd.tar.gz', '/z.gz'],
];

/** libguestfs's grep tests with flags: [flags, on the gzipped file, case-insensitive]. */
const GREP_FLAGS: readonly [string[], boolean, boolean][] = [
  [['extended:true'], false, false],
  [['fixed:true'], false, false],
  [['insensitive:true'], false, true],
  [['extended:true', 'insensitive:true'], false, true],
  [['fixed:true', 'insensitive:true'], false, true],
  [['compressed:true'], true, false],
  [['extended:true', 'compressed:true'], true, false],
  [['fixed:true', 'compressed:true'], true, false],
  [['insensitive:true', 'compressed:true'], true, true],
  [['extended:true', 'insensitive:true', 'compressed:true'], true, true],
  [['fixed:true', 'insensitive:true', 'compressed:true'], true, true],
];

/** libguestfs's test of each grep variant: abc in its test-grep.txt (guestfs-test.iso), or the gzipped copy for z*. */
function libguestfsTests(name: string, insensitive: boolean): OpTest[] {
  const file = name.startsWith('z') ? '/test-grep.txt.gz' : '/test-grep.txt';
  const found = insensitive ? 'abc\nabc123\nABC' : 'abc\nabc123';
  const tests: OpTest[] = [{ from: 'libguestfs', disk: 'iso', args: ['abc', file], expect: found }];
  if (name === 'grep') {
    tests.push(
      { from: 'libguestfs', disk: 'iso', args: ['nomatch', file], expect: '' },
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['nomatch', '/abssymlink'],
        expect: '',
        title: 'grep through an absolute symlink (RHBZ#579608)',
      },
      // guestfish's optional flags (accepted once gfsem's named arguments are merged)
      ...GREP_FLAGS.map(
        ([flags, gz, insensitive]): OpTest => ({
          from: 'libguestfs',
          disk: 'iso',
          args: ['abc', gz ? '/test-grep.txt.gz' : '/test-grep.txt', ...flags],
          expect: insensitive ? 'abc\nabc123\nABC' : 'abc\nabc123',
        }),
      ),
    );
  }
  return tests;
}

function grepTests(name: string, syntax: GrepSyntax, insensitive: boolean): OpTest[] {
  const match = syntax === 'extended' ? ['fooobar', 'FOOOBAR'] : ['foo+bar', 'FOO+BAR'];
  const tests: OpTest[] = [
    ...libguestfsTests(name, insensitive),
    { setup: [LINES], args: ['foo+bar', '/f'], expect: match.slice(0, insensitive ? 2 : 1).join('\n') },
  ];
  if (name === 'grep') {
    tests.push(
      { title: 'no match prints nothing', setup: [LINES], args: ['nothing', '/f'], expect: '' },
      { args: ['x', '/missing'], error: /\/missing: No such file or directory/ },
    );
  }
  if (name === 'zgrep') {
    tests.push({
      title: 'a gzip-compressed file is decompressed',
      setup: GZIP_FILE,
      args: ['o+b', '/z.gz'],
      expect: 'foo+bar',
    });
  }
  return tests;
}

function grepOp<const N extends string>(name: N, syntax: GrepSyntax, insensitive: boolean, compressed: boolean) {
  const flags = [syntax === 'extended' ? '-E' : syntax === 'fixed' ? '-F' : '', insensitive ? '-i' : ''].filter(Boolean).join(' ');
  const like = `${compressed ? 'zgrep' : 'grep'}${flags ? ` ${flags}` : ''}`;
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'pattern', type: 'string' },
      { name: 'path', type: 'path' },
    ],
    // libguestfs returns the lines as a list; these are the file's raw bytes, streamed
    returns: 'stream',
    needsLaunch: true,
    writes: false,
    summary: `print the lines of a ${compressed ? 'possibly gzip-compressed ' : ''}file matching ${syntax === 'fixed' ? 'a string' : 'a pattern'}${insensitive ? ', ignoring case' : ''}`,
    description: `Print the lines of the file that match the pattern, like "${like}": the pattern is
      ${SYNTAX[syntax].what}${insensitive ? ', matched ignoring the case of ASCII letters' : ''}. Matching is
      GNU grep's in the C locale (a byte is a character; [[:alpha:]], \\w and friends are ASCII).
      ${compressed ? 'A gzip-compressed file is decompressed first; any other file is searched as it is (bzip2 and xz are refused). ' : ''}No
      match prints nothing and is not an error. A final symlink is followed inside the guest; the
      file is streamed, whatever its size.`,
    async impl(ctx, [pattern, path]) {
      // the implementations load when used, not with jfish's command table
      const { grepFile } = await import('../editing/grep.js');
      await grepFile(ctx.session.reader, path, pattern, { syntax, insensitive, compressed }, (b) => ctx.out.write(b));
      return undefined;
    },
    tests: grepTests(name, syntax, insensitive),
  });
}

// grep takes guestfish's optional arguments; the other names are its older fixed forms.
export const grep = defineOp({
  name: 'grep',
  group: 'files',
  args: [
    { name: 'pattern', type: 'string' },
    { name: 'path', type: 'path' },
    { name: 'extended', type: 'bool', optional: true, named: true },
    { name: 'fixed', type: 'bool', optional: true, named: true },
    { name: 'insensitive', type: 'bool', optional: true, named: true },
    { name: 'compressed', type: 'bool', optional: true, named: true },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print the lines of a file matching a pattern',
  description: `Print the lines of the file that match the pattern, like "grep": the pattern is
    ${SYNTAX.basic.what}; extended:true makes it ${SYNTAX.extended.what}, fixed:true ${SYNTAX.fixed.what}
    (not both), insensitive:true ignores the case of ASCII letters, and compressed:true decompresses a
    gzip-compressed file first (zgrep; any other file is searched as it is, bzip2 and xz are refused).
    Matching is GNU grep's in the C locale (a byte is a character; [[:alpha:]], \\w and friends are
    ASCII). No match prints nothing and is not an error. A final symlink is followed inside the
    guest; the file is streamed, whatever its size.`,
  async impl(ctx, [pattern, path, extended, fixed, insensitive, compressed]) {
    if (extended && fixed) throw new JootError('EINVAL', 'extended and fixed cannot be used together');
    const syntax: GrepSyntax = extended ? 'extended' : fixed ? 'fixed' : 'basic';
    const { grepFile } = await import('../editing/grep.js');
    const opts = { syntax, insensitive: insensitive === true, compressed: compressed === true };
    await grepFile(ctx.session.reader, path, pattern, opts, (b) => ctx.out.write(b));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      ...grepTests('grep', 'basic', false),
      { setup: [LINES], args: ['fo+bar', '/f', 'extended:true'], expect: 'fooobar' },
      { setup: [LINES], args: ['fo+bar', '/f', 'extended:false'], expect: '' },
      { setup: [LINES], args: ['o+b', '/f', 'fixed:true', 'insensitive:true'], expect: 'foo+bar\nFOO+BAR' },
      { setup: GZIP_FILE, args: ['o+b', '/z.gz', 'compressed:true'], expect: 'foo+bar' },
      { setup: [LINES], args: ['x', '/f', 'extended:true', 'fixed:true'], error: /extended and fixed cannot be used together/ },
    ];
  },
});
export const grepi = grepOp('grepi', 'basic', true, false);
export const zgrep = grepOp('zgrep', 'basic', false, true);
export const zgrepi = grepOp('zgrepi', 'basic', true, true);
export const egrep = grepOp('egrep', 'extended', false, false);
export const egrepi = grepOp('egrepi', 'extended', true, false);
export const zegrep = grepOp('zegrep', 'extended', false, true);
export const zegrepi = grepOp('zegrepi', 'extended', true, true);
export const fgrep = grepOp('fgrep', 'fixed', false, false);
export const fgrepi = grepOp('fgrepi', 'fixed', true, false);
export const zfgrep = grepOp('zfgrep', 'fixed', false, true);
export const zfgrepi = grepOp('zfgrepi', 'fixed', true, true);

export const file = defineOp({
  name: 'file',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'determine the type of a file',
  description: `Print what the path is, as guestfish does: "directory", "symbolic link" (a final link is
    not followed), "fifo", "character device", "block device", "socket", or for a regular file a
    description of its content from the host's file(1) ("ASCII text", "ELF 64-bit LSB pie
    executable, …", "empty"; compressed data is looked into, as with file -z). file(1) reads the
    first 64 KiB of the file (an ELF object up to 64 MiB whole) on its standard input: it is never
    given a guest path.`,
  async impl(ctx, [path]) {
    const { fileType } = await import('../editing/filetype.js');
    return fileType(ctx.session.reader, path);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/empty'], expect: 'empty' },
      { from: 'libguestfs', disk: 'iso', args: ['/known-1'], expect: 'ASCII text' },
      { from: 'libguestfs', disk: 'iso', args: ['/notexists'], error: /\/notexists: No such file or directory/ },
      { from: 'libguestfs', disk: 'iso', args: ['/abssymlink'], expect: 'symbolic link' },
      { from: 'libguestfs', disk: 'iso', args: ['/directory'], expect: 'directory' },
      { setup: [['write', '/f', 'hello\n']], args: ['/f'], expect: 'ASCII text' },
      { setup: [['touch', '/f']], args: ['/f'], expect: 'empty' },
      { setup: [['mkdir', '/d']], args: ['/d'], expect: 'directory' },
      { disk: 'sample', args: ['/bin'], expect: 'symbolic link' },
      { args: ['/missing'], error: /\/missing: No such file or directory/ },
    ];
  },
});

export const records = [grep, grepi, zgrep, zgrepi, egrep, egrepi, zegrep, zegrepi, fgrep, fgrepi, zfgrep, zfgrepi, file] as const;
