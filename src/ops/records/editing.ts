// Editing guest files: edit (vi, emacs) with the user's editor, and /etc/fstab entries
// (fstab-list, fstab-add, fstab-remove). Writes go through the session's GuestWriter
// atomically (temp file in the same guest directory + rename), keeping mode and owner; they
// are refused in a read-only session.
import { printError } from '../../tools/cli.js';
import { JootError } from '../../core/errors.js';
import { addFstabEntry, formatEntry, listFstab, removeFstabEntry } from '../../inspect/fstab-edit.js';
import { defineCommand, type Ctx } from '../record.js';
import { editFile } from '../editing/edit.js';

const FSTAB = '/etc/fstab';

function editCommand(name: string, fixedEditor?: string) {
  const which =
    fixedEditor === undefined
      ? '$EDITOR (default vi; it may carry arguments, e.g. EDITOR="emacs -nw")'
      : `"${fixedEditor}", whatever $EDITOR says (as in guestfish; edit runs $EDITOR)`;
  return defineCommand({
    name,
    group: 'editing',
    args: [{ name: 'filename', type: 'path' }],
    needsLaunch: true,
    summary: fixedEditor === undefined ? 'edit a file with the editor named by EDITOR' : `edit a file with ${fixedEditor}`,
    description: `Copy the guest file to a private temporary directory on the host, run the editor on the
      copy with the terminal, and if the content changed put it back atomically (a temporary file in
      the same guest directory, renamed over it), keeping its mode, owner, group and SELinux label.
      If nothing changed nothing is written. The editor is ${which}. A final symlink is followed
      inside the guest; only regular files can be edited. If the editor exits with an error the file
      is left as it was. Refused in a read-only session.`,
    async run(ctx, [path]) {
      await editFile(ctx.session.reader, ctx.session.writer, path, {
        editor: fixedEditor,
        warn: (m) => printError('jfish', `${name}: ${m}`),
      });
    },
  });
}

export const edit = editCommand('edit');
export const vi = editCommand('vi', 'vi');
export const emacs = editCommand('emacs', 'emacs -nw');

// Editing works on the file's bytes as latin1 text (one char per byte), so every byte of the
// lines kept goes back unchanged whatever its encoding; the new fields (UTF-8 words) are
// converted the same way, and messages back to UTF-8.
const toBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const fromBytes = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

async function bytesOf<T>(fn: () => T): Promise<T> {
  try {
    return fn();
  } catch (e) {
    if (e instanceof JootError) throw new JootError(e.code, fromBytes(e.message), { cause: e });
    throw e;
  }
}

async function readFstab(ctx: Ctx, missingOk: boolean, encoding: 'utf8' | 'latin1' = 'latin1'): Promise<string | undefined> {
  try {
    return (await ctx.session.readFile(FSTAB)).toString(encoding);
  } catch (e) {
    if (missingOk && e instanceof JootError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

function checkWritable(ctx: Ctx): void {
  if (ctx.readonly || ctx.session.writer.isReadonly) throw new JootError('EPERM', `${FSTAB}: the session is read-only`);
}

export const fstabList = defineCommand({
  name: 'fstab-list',
  group: 'editing',
  args: [],
  needsLaunch: true,
  summary: 'list the entries of the guest /etc/fstab',
  description: `Print each entry of /etc/fstab in file order, one per line: device, mountpoint, type,
    options, freq and passno separated by single spaces (blanks inside a field written as \\040, as
    in fstab). Comments, blank lines and lines that are not entries are left out; a line that cannot
    be parsed is named in a warning on stderr.`,
  async run(ctx) {
    const text = await readFstab(ctx, false, 'utf8');
    const { entries, warnings } = listFstab(text ?? '');
    for (const w of warnings) printError('jfish', `fstab-list: ${w}`);
    await ctx.out.lines(entries.map(formatEntry));
  },
});

export const fstabAdd = defineCommand({
  name: 'fstab-add',
  group: 'editing',
  args: [
    { name: 'device', type: 'string' },
    { name: 'mountpoint', type: 'string' },
    { name: 'fstype', type: 'string' },
    { name: 'options', type: 'string', optional: true },
    { name: 'freq', type: 'int', optional: true },
    { name: 'passno', type: 'int', optional: true },
  ],
  needsLaunch: true,
  summary: 'add an entry to the guest /etc/fstab',
  description: `Append the line "device mountpoint fstype options freq passno" to /etc/fstab
    (options default to defaults, freq and passno to 0). device is UUID=…, LABEL=…, PARTUUID=…, a
    /dev path or any other source; mountpoint is an absolute path, or none for swap. Refused when
    the mountpoint already has an entry (for swap: when the device is already listed); the error
    names that line. Every other byte of the file is kept; the file is replaced atomically with
    its mode and owner kept (created 0644 root:root if missing).`,
  async run(ctx, [device, mountpoint, fstype, options, freq, passno]) {
    checkWritable(ctx);
    const text = (await readFstab(ctx, true)) ?? '';
    const entry = {
      spec: toBytes(device),
      file: toBytes(mountpoint),
      vfstype: toBytes(fstype),
      options: options === undefined ? undefined : toBytes(options),
      freq,
      passno,
    };
    const next = await bytesOf(() => addFstabEntry(text, entry));
    await ctx.session.writer.writeAtomic(FSTAB, Buffer.from(next, 'latin1'));
  },
});

export const fstabRemove = defineCommand({
  name: 'fstab-remove',
  group: 'editing',
  args: [{ name: 'mountpoint', type: 'string' }],
  needsLaunch: true,
  summary: 'remove the entries for a mountpoint from the guest /etc/fstab',
  description: `Remove the /etc/fstab lines whose mountpoint is mountpoint (compared without repeated or
    trailing slashes); for swap, give the device instead. An error if there is none. Comments and
    every other line are kept byte for byte; the file is replaced atomically with its mode and
    owner kept.`,
  async run(ctx, [mountpoint]) {
    checkWritable(ctx);
    const text = (await readFstab(ctx, false)) ?? '';
    const { text: next } = await bytesOf(() => removeFstabEntry(text, toBytes(mountpoint)));
    await ctx.session.writer.writeAtomic(FSTAB, Buffer.from(next, 'latin1'));
  },
});

export const commands = [edit, vi, emacs, fstabList, fstabAdd, fstabRemove];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
