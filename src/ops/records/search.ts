// Searching and identifying guest files: guestfish's grep family (grep, egrep, fgrep, their -i
// and z variants) and file. Guest files are read through the guest reader only: patterns are
// matched in JavaScript (see editing/grep.ts), and file(1) gets bytes on stdin, never a path.
import { defineCommand } from '../record.js';
import { grepFile, type GrepSyntax } from '../editing/grep.js';
import { fileType } from '../editing/filetype.js';

const SYNTAX: Record<GrepSyntax, { prefix: string; what: string }> = {
  basic: { prefix: '', what: 'a basic regular expression (grep)' },
  extended: { prefix: 'e', what: 'an extended regular expression (grep -E)' },
  fixed: { prefix: 'f', what: 'a fixed string (grep -F)' },
};

function grepCommand(syntax: GrepSyntax, insensitive: boolean, compressed: boolean) {
  const name = `${compressed ? 'z' : ''}${SYNTAX[syntax].prefix}grep${insensitive ? 'i' : ''}`;
  const flags = [syntax === 'extended' ? '-E' : syntax === 'fixed' ? '-F' : '', insensitive ? '-i' : ''].filter(Boolean).join(' ');
  const like = `${compressed ? 'zgrep' : 'grep'}${flags ? ` ${flags}` : ''}`;
  return defineCommand({
    name,
    group: 'files',
    args: [
      { name: 'pattern', type: 'string' },
      { name: 'path', type: 'path' },
    ],
    needsLaunch: true,
    summary: `print the lines of a ${compressed ? 'possibly gzip-compressed ' : ''}file matching ${syntax === 'fixed' ? 'a string' : 'a pattern'}${insensitive ? ', ignoring case' : ''}`,
    description: `Print the lines of the file that match the pattern, like "${like}": the pattern is
      ${SYNTAX[syntax].what}${insensitive ? ', matched ignoring the case of ASCII letters' : ''}. Matching is
      GNU grep's in the C locale (a byte is a character; [[:alpha:]], \\w and friends are ASCII).
      ${compressed ? 'A gzip-compressed file is decompressed first; any other file is searched as it is (bzip2 and xz are refused). ' : ''}No
      match prints nothing and is not an error. A final symlink is followed inside the guest; the
      file is streamed, whatever its size.`,
    async run(ctx, [pattern, path]) {
      await grepFile(ctx.session.reader, path, pattern, { syntax, insensitive, compressed }, (b) => ctx.out.write(b));
    },
  });
}

export const grepCommands = (['basic', 'extended', 'fixed'] as const).flatMap((syntax) =>
  [false, true].flatMap((compressed) => [false, true].map((insensitive) => grepCommand(syntax, insensitive, compressed))),
);

export const file = defineCommand({
  name: 'file',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  needsLaunch: true,
  summary: 'determine the type of a file',
  description: `Print what the path is, as guestfish does: "directory", "symbolic link" (a final link is
    not followed), "fifo", "character device", "block device", "socket", or for a regular file a
    description of its content from the host's file(1) ("ASCII text", "ELF 64-bit LSB pie
    executable, …", "empty"; compressed data is looked into, as with file -z). file(1) reads the
    first 64 KiB of the file (an ELF object up to 64 MiB whole) on its standard input: it is never
    given a guest path.`,
  async run(ctx, [path]) {
    await ctx.out.lines([await fileType(ctx.session.reader, path)]);
  },
});

export const commands = [...grepCommands, file];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
