// The guest's /etc/fstab entries: fstab-list, fstab-add, fstab-remove (jfish's editing group).
// Writes go through the session's GuestWriter atomically (temp file in the same guest
// directory + rename), keeping mode and owner; they are refused in a read-only session.
import { JootError } from '../../core/errors.js';
import { defineOp, type OpTest, type OpContext } from '../../ops/op.js';

const FSTAB = '/etc/fstab';

/** The fstab parser and editor, loaded when a command runs (not with jfish's command table). */
const fstabEdit = () => import('../fstab-edit.js');

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

async function readFstab(ctx: OpContext, missingOk: boolean, encoding: 'utf8' | 'latin1' = 'latin1'): Promise<string | undefined> {
  try {
    return (await ctx.session.readFile(FSTAB)).toString(encoding);
  } catch (e) {
    if (missingOk && e instanceof JootError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

function checkWritable(ctx: OpContext): void {
  if (ctx.readonly || ctx.session.writer.isReadonly) throw new JootError('EPERM', `${FSTAB}: the session is read-only`);
}

/** A guest /etc/fstab for the tests. */
const FSTAB_LINES = ['# static file system information\n', 'LABEL=root / ext4 defaults 0 1\n', 'LABEL=boot  /boot\text4 noatime 0 2\n'];
const WRITE_FSTAB = [
  ['mkdir', '/etc'],
  ['write', '/etc/fstab', FSTAB_LINES.join('')],
];

export const fstabList = defineOp({
  name: 'fstab-list',
  group: 'editing',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the entries of the guest /etc/fstab',
  description: `Print each entry of /etc/fstab in file order, one per line: device, mountpoint, type,
    options, freq and passno separated by single spaces (blanks inside a field written as \\040, as
    in fstab). Comments, blank lines and lines that are not entries are left out; a line that cannot
    be parsed is named in a warning on stderr.`,
  async impl(ctx) {
    const text = await readFstab(ctx, false, 'utf8');
    const { listFstab, formatEntry } = await fstabEdit();
    const { entries, warnings } = listFstab(text ?? '');
    for (const w of warnings) ctx.warn(w);
    return entries.map(formatEntry);
  },
  guestfishDiffers: "jfish's own command (guestfish edits /etc/fstab with Augeas): libguestfs has no such action",
  get tests(): readonly OpTest[] {
    return [
      { setup: WRITE_FSTAB, args: [], expect: 'LABEL=root / ext4 defaults 0 1\nLABEL=boot /boot ext4 noatime 0 2' },
      { disk: 'sample', args: [], expect: /^LABEL=root \/ ext4 defaults 0 1\nLABEL=boot \/boot ext4 defaults 0 2\n/ },
      { args: [], error: /\/etc\/fstab: No such file or directory/ },
    ];
  },
});

export const fstabAdd = defineOp({
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
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'add an entry to the guest /etc/fstab',
  description: `Append the line "device mountpoint fstype options freq passno" to /etc/fstab
    (options default to defaults, freq and passno to 0). device is UUID=…, LABEL=…, PARTUUID=…, a
    /dev path or any other source; mountpoint is an absolute path, or none for swap. Refused when
    the mountpoint already has an entry (for swap: when the device is already listed); the error
    names that line. Every other byte of the file is kept; the file is replaced atomically with
    its mode and owner kept (created 0644 root:root if missing).`,
  async impl(ctx, [device, mountpoint, fstype, options, freq, passno]) {
    checkWritable(ctx);
    const text = (await readFstab(ctx, true)) ?? '';
    const { addFstabEntry } = await fstabEdit();
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
    return undefined;
  },
  guestfishDiffers: "jfish's own command (guestfish edits /etc/fstab with Augeas): libguestfs has no such action",
  get tests(): readonly OpTest[] {
    return [
      {
        setup: WRITE_FSTAB,
        args: ['/dev/sdb1', '/srv/my data', 'xfs', 'ro', '0', '2'],
        check: { run: ['cat', '/etc/fstab'], expect: `${FSTAB_LINES.join('')}/dev/sdb1 /srv/my\\040data xfs ro 0 2\n` },
      },
      {
        title: 'a missing /etc/fstab is created',
        setup: [['mkdir', '/etc']],
        args: ['UUID=1234', 'none', 'swap'],
        check: { run: ['fstab-list'], expect: 'UUID=1234 none swap defaults 0 0' },
      },
      { setup: WRITE_FSTAB, args: ['/dev/sdb1', '/boot/', 'ext4'], error: /\/boot already has an entry: line 3: LABEL=boot/ },
      { readonly: true, args: ['/dev/sdb1', '/srv', 'ext4'], error: /\/etc\/fstab: the session is read-only/ },
    ];
  },
});

export const fstabRemove = defineOp({
  name: 'fstab-remove',
  group: 'editing',
  args: [{ name: 'mountpoint', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove the entries for a mountpoint from the guest /etc/fstab',
  description: `Remove the /etc/fstab lines whose mountpoint is mountpoint (compared without repeated or
    trailing slashes); for swap, give the device instead. An error if there is none. Comments and
    every other line are kept byte for byte; the file is replaced atomically with its mode and
    owner kept.`,
  async impl(ctx, [mountpoint]) {
    checkWritable(ctx);
    const text = (await readFstab(ctx, false)) ?? '';
    const { removeFstabEntry } = await fstabEdit();
    const { text: next } = await bytesOf(() => removeFstabEntry(text, toBytes(mountpoint)));
    await ctx.session.writer.writeAtomic(FSTAB, Buffer.from(next, 'latin1'));
    return undefined;
  },
  guestfishDiffers: "jfish's own command (guestfish edits /etc/fstab with Augeas): libguestfs has no such action",
  get tests(): readonly OpTest[] {
    return [
      {
        setup: WRITE_FSTAB,
        args: ['//boot/'],
        check: { run: ['cat', '/etc/fstab'], expect: FSTAB_LINES.slice(0, 2).join('') },
      },
      { setup: WRITE_FSTAB, args: ['/srv'], error: /no fstab entry for \/srv/ },
      { readonly: true, args: ['/boot'], error: /\/etc\/fstab: the session is read-only/ },
    ];
  },
});

export const records = [fstabList, fstabAdd, fstabRemove] as const;
