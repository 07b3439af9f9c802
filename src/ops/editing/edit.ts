// guestfish edit / vi / emacs: copy a guest file to a private host temp dir, run the user's
// editor on the copy with jfish's terminal, and if the content changed put it back atomically
// (GuestWriter.writeAtomic: temp file in the same guest directory + rename) keeping the file's
// mode, owner, group and SELinux label. Unchanged content writes nothing (same inode after).
//
// The guest path is resolved inside the guest first (a final symlink is followed inside the
// guest, like guestfish's realpath before download), so the file read, the file replaced and
// the file whose label is copied are the same node, and never one outside the guest. Only
// regular files are edited. The editor only ever sees the host temp copy.
import type { GuestFileReader, GuestFileWriter } from '../../appliance/guest-files.js';
import { promises as fsp } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdIsTerminal } from '../../core/stdio.js';
import { JootError, errnoOf } from '../../core/errors.js';
import { spawnProcess } from '../../core/run.js';
import { guestRealpath } from '../file-ops.js';
import { readSelinuxLabel, writeSelinuxLabel } from './xattr.js';

/**
 * Split $EDITOR into words as a shell would, simply: blanks separate words; '…' quotes
 * literally; "…" quotes with \" \\ \$ \` escapes; a backslash outside quotes escapes the next
 * character. No expansions. Throws on an unterminated quote.
 */
export function splitCommand(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new JootError('EINVAL', `EDITOR: unterminated ' in ${JSON.stringify(s)}`);
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1]!)) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new JootError('EINVAL', `EDITOR: unterminated " in ${JSON.stringify(s)}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Run argv with the terminal inherited; resolves to the exit status (128+N if killed). */
export type EditorRunner = (argv: string[]) => Promise<number>;

export const runEditorInTerminal: EditorRunner = async (argv) => {
  // While the editor has the terminal, jfish's own line editor (raw mode, reading stdin)
  // must let go of it, or the two would share keystrokes.
  const tty = fdIsTerminal(0);
  const stdin = tty ? process.stdin : undefined;
  const wasRaw = stdin?.isRaw ?? false;
  const wasPaused = stdin?.isPaused() ?? true;
  if (stdin) {
    if (wasRaw) stdin.setRawMode(false);
    stdin.pause();
  }
  try {
    return await new Promise<number>((resolve, reject) => {
      // the user's editor on the user's terminal: their environment and locale, not joot's C
      const child = spawnProcess(argv[0]!, argv.slice(1), { stdio: 'inherit', locale: 'inherit' });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    if (stdin) {
      if (wasRaw) stdin.setRawMode(true);
      if (!wasPaused) stdin.resume();
    }
  }
};

export interface EditOptions {
  /** The editor command line (default $EDITOR, else vi). */
  editor?: string;
  run?: EditorRunner;
  /** Where the private temp dir is made (default the host's tmpdir). */
  tmpRoot?: string;
  /** Non-fatal notes (a label that could not be read, …). */
  warn?: (msg: string) => void;
}

export type EditResult = 'changed' | 'unchanged';

/** A file name for the host copy: the guest basename, made safe (editors pick a mode by it). */
function copyName(guestPath: string): string {
  const base = guestPath.replace(/\/+$/, '').split('/').pop() ?? '';
  const safe = base
    .replace(/[^\w.+,=@-]/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, 100);
  return safe || 'file';
}

export async function editFile(
  reader: GuestFileReader,
  writer: GuestFileWriter,
  guestPath: string,
  opts: EditOptions = {},
): Promise<EditResult> {
  if (writer.isReadonly) throw new JootError('EPERM', `${guestPath}: the session is read-only`);
  const editorLine = opts.editor ?? process.env.EDITOR ?? 'vi';
  const argv = splitCommand(editorLine.trim() === '' ? 'vi' : editorLine);
  if (argv.length === 0) argv.push('vi');

  // one canonical guest path for everything below: read, label, replace
  const real = await guestRealpath(reader, guestPath);
  const st = await reader.lstat(real);
  if (!st.isFile) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
  const before = await reader.readFile(real);
  const host = await reader.resolve(real);

  const dir = await fsp.mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'jfish-edit-'));
  try {
    await fsp.chmod(dir, 0o700);
    const copy = join(dir, copyName(real));
    await fsp.writeFile(copy, before, { mode: 0o600, flag: 'wx' });
    let status: number;
    try {
      status = await (opts.run ?? runEditorInTerminal)([...argv, copy]);
    } catch (e) {
      const why = errnoOf(e) === 'ENOENT' ? 'not found' : (errnoOf(e) ?? (e instanceof Error ? e.message : String(e)));
      throw new JootError('ECMD', `editor '${argv[0]}' could not be started: ${why}`, { cause: e });
    }
    if (status !== 0) throw new JootError('ECMD', `editor '${argv[0]}' failed (exit ${status}); ${guestPath} was not changed`);
    let after: Buffer;
    try {
      after = await fsp.readFile(copy);
    } catch (e) {
      throw new JootError(
        'EIO',
        `the edited copy of ${guestPath} could not be read back (${errnoOf(e) ?? 'error'}); ${guestPath} was not changed`,
        { cause: e },
      );
    }
    if (after.equals(before)) return 'unchanged';

    const label = await readSelinuxLabel(host, opts.warn);
    // the label goes on the temp file before the rename: the new file is never unlabelled
    const beforeRename = label === undefined ? undefined : (tmp: string) => writeSelinuxLabel(tmp, label, real);
    await writer.writeAtomic(real, after, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, beforeRename });
    return 'changed';
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
