// Copying between the host and the guest: upload, download, copy-in, copy-out. Streamed (no
// size cap); guest paths resolve inside the guest, writes go through the session's
// GuestWriter (refused in a read-only session); host paths are relative to the current
// directory (see lcd). A progress bar goes to stderr for transfers over 8 MiB when stderr is
// a terminal. tar-in / tar-out are in tar.ts.
import { printError } from '../../tools/cli.js';
import { JootError } from '../../core/errors.js';
import { usage } from '../args.js';
import { defineCommand, type Command } from '../record.js';
import { copyIn, copyOut, download, upload, type TransferIo } from '../transfer-ops.js';

function io(name: string): TransferIo {
  return {
    stderr: process.stderr,
    warn: (m) => printError('jfish', `${name}: ${m}`),
  };
}

export const uploadCmd = defineCommand({
  name: 'upload',
  group: 'transfer',
  args: [
    { name: 'filename', type: 'filein' },
    { name: 'remotefilename', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'upload a host file into the guest',
  description: `Copy the local file filename (- for standard input) to remotefilename in the guest,
    creating it or truncating it first. A final symlink of remotefilename is followed inside the
    guest. The file is streamed, whatever its size.`,
  async run(ctx, [local, remote]) {
    await upload(ctx.session, local, remote, { ...io('upload'), stdin: process.stdin });
  },
});

export const downloadCmd = defineCommand({
  name: 'download',
  group: 'transfer',
  args: [
    { name: 'remotefilename', type: 'path' },
    { name: 'filename', type: 'fileout' },
  ],
  needsLaunch: true,
  summary: 'download a guest file to the host',
  description: `Copy the guest file remotefilename to the local file filename (- for standard
    output), creating or truncating it. A final symlink of remotefilename is followed inside the
    guest. The file is streamed, whatever its size.`,
  async run(ctx, [remote, local]) {
    await download(ctx.session, remote, local, ctx.out, io('download'));
  },
});

/** Split `a b c DIR` into the sources and the directory; at least one source. */
function sourcesAndDir(cmd: Pick<Command, 'name' | 'args'>, first: string, rest: string[]): [string[], string] {
  const all = [first, ...rest];
  const dir = all.pop();
  if (all.length === 0 || dir === undefined) throw new JootError('EINVAL', `expected at least 2 arguments: usage: ${usage(cmd)}`);
  return [all, dir];
}

export const copyInCmd: Command = defineCommand({
  name: 'copy-in',
  group: 'transfer',
  args: [
    { name: 'localpath', type: 'string' },
    { name: 'remotedir', type: 'string', variadic: true },
  ],
  needsLaunch: true,
  summary: 'copy host files or directories into the guest',
  description: `copy-in localpath [localpath ...] remotedir: copy each local file or directory,
    recursively, into remotedir, an existing guest directory. Modes, times and numeric owners are
    kept and symlinks are copied as links with their target unchanged. An entry already in the
    way in the guest (a file or a symlink) is replaced, never written through.`,
  async run(ctx, [first, rest]) {
    const [locals, dir] = sourcesAndDir(copyInCmd, first, rest);
    if (!dir.startsWith('/')) throw new JootError('EINVAL', `remotedir: '${dir}' is not an absolute path (it must start with /)`);
    await copyIn(ctx.session, locals, dir, io('copy-in'));
  },
});

export const copyOutCmd: Command = defineCommand({
  name: 'copy-out',
  group: 'transfer',
  args: [
    { name: 'remotepath', type: 'path' },
    { name: 'localdir', type: 'string', variadic: true },
  ],
  needsLaunch: true,
  summary: 'copy guest files or directories to the host',
  description: `copy-out remotepath [remotepath ...] localdir: copy each guest file or directory,
    recursively, into localdir, an existing host directory. Guest symlinks are never followed,
    not even a final one: they are recreated on the host as links with their target unchanged,
    and a host entry in the way is replaced, never written through. Modes (without set-user-ID
    and set-group-ID), times and, as root, numeric owners are kept; device nodes, FIFOs and
    sockets are skipped with a warning.`,
  async run(ctx, [first, rest]) {
    const [remotes, dir] = sourcesAndDir(copyOutCmd, first, rest);
    const bad = remotes.find((r) => !r.startsWith('/'));
    if (bad !== undefined) throw new JootError('EINVAL', `remotepath: '${bad}' is not an absolute path (it must start with /)`);
    await copyOut(ctx.session, remotes, dir, io('copy-out'));
  },
});

export const commands = [uploadCmd, downloadCmd, copyInCmd, copyOutCmd];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
