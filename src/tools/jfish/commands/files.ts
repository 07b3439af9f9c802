// Reading the guest's files, by guest paths under the mounted filesystems.
import { defineCommand } from '../command.js';

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

export const commands = [ls, cat, exists, isFile, isDir];
