// Editing guest files with the user's editor: edit (vi, emacs). Writes go through the
// session's GuestWriter atomically (temp file in the same guest directory + rename), keeping
// mode and owner; they are refused in a read-only session. The /etc/fstab records are
// inspection's (src/inspect/records/fstab.ts).
import { defineOp, type OpTest } from '../op.js';

function editOp<const N extends string>(name: N, fixedEditor?: string) {
  const which =
    fixedEditor === undefined
      ? '$EDITOR (default vi; it may carry arguments, e.g. EDITOR="emacs -nw")'
      : `"${fixedEditor}", whatever $EDITOR says (as in guestfish; edit runs $EDITOR)`;
  return defineOp({
    name,
    group: 'editing',
    args: [{ name: 'filename', type: 'path' }],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: fixedEditor === undefined ? 'edit a file with the editor named by EDITOR' : `edit a file with ${fixedEditor}`,
    description: `Copy the guest file to a private temporary directory on the host, run the editor on the
      copy with the terminal, and if the content changed put it back atomically (a temporary file in
      the same guest directory, renamed over it), keeping its mode, owner, group and SELinux label.
      If nothing changed nothing is written. The editor is ${which}. A final symlink is followed
      inside the guest; only regular files can be edited. If the editor exits with an error the file
      is left as it was. Refused in a read-only session.`,
    async impl(ctx, [path]) {
      // loaded when used, not with jfish's command table
      const { editFile } = await import('../editing/edit.js');
      await editFile(ctx.session.reader, ctx.session.writer, path, { editor: fixedEditor, warn: (m) => ctx.warn(m) });
      return undefined;
    },
    guestfishDiffers: `guestfish's own command (not a generator action): libguestfs has no test for ${name}`,
    // The editor needs a terminal: these tests stop before it would run.
    get tests(): readonly OpTest[] {
      return [
        { args: ['/missing'], error: /\/missing: No such file or directory/ },
        { setup: [['mkdir', '/d']], args: ['/d'], error: /\/d: not a regular file/ },
        { readonly: true, args: ['/f'], error: /\/f: the session is read-only/ },
      ];
    },
  });
}

export const edit = editOp('edit');
export const vi = editOp('vi', 'vi');
export const emacs = editOp('emacs', 'emacs -nw');

export const records = [edit, vi, emacs] as const;
