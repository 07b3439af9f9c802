// guestfish's extended attribute commands (getxattr(s), setxattr, removexattr and their l*
// forms), POSIX ACLs (acl-get-file, acl-set-file, acl-delete-def-file) and file capabilities
// (cap-get-file, cap-set-file). ACLs and capabilities are attributes too
// (system.posix_acl_access / _default, security.capability), read and written here in their
// binary form and printed in libacl's and libcap's text forms, as guestfish prints them.
// Reads work on both engines (the userspace engine's filesystem readers hand out attributes);
// writes go through the session's guest-rooted writer (../../appliance/guest-xattr-writes.ts):
// the l* forms act on a symlink itself, the others follow it inside the guest, never out.
import type { GuestNode } from '../../appliance/guest-files.js';
import { isDirNode, isFileNode } from '../../appliance/guest-files.js';
import { removeGuestXattr, setGuestXattr } from '../../appliance/guest-xattr-writes.js';
import { JootError } from '../../core/errors.js';
import { defineOp, type OpContext, type OpTest } from '../op.js';
import type { StructFields } from '../structs.js';
import { guestOwners } from '../tar/owners.js';
import { ACL_ACCESS, ACL_DEFAULT, aclText, aclType, aclWithoutXattr, decodeAcl, encodeAcl, parseAclText } from '../xattr/acl-text.js';
import { CAP_XATTR, capsFromText, capsToText, decodeFileCaps, encodeFileCaps } from '../xattr/file-caps.js';

/** The attributes of the node a guest path names (a final symlink followed inside the guest, or not). */
async function attrsOf(ctx: OpContext, path: string, follow: boolean): Promise<{ node: GuestNode; attrs: Map<string, Buffer> }> {
  const reader = ctx.session.reader;
  const node = await reader.node(path, { followLast: follow });
  const [attrs] = await reader.attrs([node], (m) => ctx.warn(m));
  return { node, attrs: attrs ?? new Map() };
}

/** guestfish's printing of a buffer field: printable ASCII as it is, every other byte as \xNN. */
export function bufferText(b: Buffer): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

const BUFFER_NOTE = `Values are printed as guestfish prints a buffer: printable ASCII as it is, any other
  byte as \\xNN (guestfish sign-extends bytes from 0x80 up, printing \\xffffffff for 0xff; jfish
  prints \\xff).`;

function listOp<const N extends string>(name: N, follow: boolean, tests: () => readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [{ name: 'path', type: 'path' }],
    returns: 'structs',
    needsLaunch: true,
    writes: false,
    summary: follow
      ? 'list extended attributes of a file or directory'
      : 'list extended attributes of a file or directory, not following a symlink',
    description: `List every extended attribute of path as attrname / attrval records, in the order of
      their names.${follow ? ' A symlink is followed (inside the guest).' : ' When path is a symlink, the attributes of the link itself.'}
      ${BUFFER_NOTE}`,
    async impl(ctx, [p]) {
      const { attrs } = await attrsOf(ctx, p, follow);
      return [...attrs].map(
        ([n, v]): StructFields => [
          ['attrname', n],
          ['attrval', bufferText(v)],
        ],
      );
    },
    guestfishDiffers: 'libguestfs has no test of its own for this action',
    get tests() {
      return tests();
    },
  });
}

const twoAttrs = [
  ['touch', '/f'],
  ['setxattr', 'user.a', 'hello', '5', '/f'],
  ['setxattr', 'user.b', 'a b', '2', '/f'],
] as const;
const twoAttrsOut = '[0] = {\n  attrname: user.a\n  attrval: hello\n}\n[1] = {\n  attrname: user.b\n  attrval: a \n}';

export const getxattrs = listOp('getxattrs', true, () => [
  { setup: twoAttrs, args: ['/f'], expect: twoAttrsOut, title: 'getxattrs lists names and values, as guestfish prints them' },
  {
    setup: [
      ['touch', '/f'],
      ['setxattr', 'user.bin', 'a\x01z\tq', '5', '/f'],
    ],
    args: ['/f'],
    expect: '[0] = {\n  attrname: user.bin\n  attrval: a\\x01z\\x09q\n}',
    title: 'getxattrs prints control bytes as \\xNN',
  },
  { setup: [...twoAttrs, ['ln-s', 'f', '/l']], args: ['/l'], expect: twoAttrsOut, title: 'getxattrs follows a symlink' },
  { setup: [['touch', '/f']], args: ['/f'], expect: '' },
  { args: ['/nope'], error: /\/nope: No such file or directory/ },
]);

export const lgetxattrs = listOp('lgetxattrs', false, () => [
  { setup: twoAttrs, args: ['/f'], expect: twoAttrsOut },
  { setup: [...twoAttrs, ['ln-s', 'f', '/l']], args: ['/l'], expect: '', title: 'lgetxattrs of a symlink lists the link’s own' },
  {
    setup: [
      ['ln-s', 'nowhere', '/l'],
      ['lsetxattr', 'trusted.t', 'v', '1', '/l'],
    ],
    args: ['/l'],
    expect: '[0] = {\n  attrname: trusted.t\n  attrval: v\n}',
  },
]);

function getOp<const N extends string>(name: N, follow: boolean, tests: () => readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'path', type: 'path' },
      { name: 'name', type: 'string' },
    ],
    returns: 'stream',
    needsLaunch: true,
    writes: false,
    summary: follow ? 'get a single extended attribute' : 'get a single extended attribute, not following a symlink',
    description: `Write the value of the extended attribute name of path to standard output, byte for byte
      (a buffer: no newline added). ${follow ? 'A symlink is followed (inside the guest).' : 'When path is a symlink, the attribute of the link itself.'}
      An attribute that is not there is an error (No data available).`,
    async impl(ctx, [p, attr]) {
      const { attrs } = await attrsOf(ctx, p, follow);
      const v = attrs.get(attr);
      if (v === undefined) throw new JootError('ENOENT', `${p}: ${attr}: No data available`, { guestPath: p });
      await ctx.out.write(v);
      return undefined;
    },
    guestfishDiffers: 'libguestfs has no test of its own for this action',
    get tests() {
      return tests();
    },
  });
}

export const getxattr = getOp('getxattr', true, () => [
  { setup: twoAttrs, args: ['/f', 'user.a'], expect: 'hello' },
  { setup: [...twoAttrs, ['ln-s', 'f', '/l']], args: ['/l', 'user.b'], expect: 'a ' },
  { setup: [['touch', '/f']], args: ['/f', 'user.none'], error: /\/f: user\.none: No data available/ },
  { args: ['/nope', 'user.a'], error: /\/nope: No such file or directory/ },
]);

export const lgetxattr = getOp('lgetxattr', false, () => [
  { setup: twoAttrs, args: ['/f', 'user.a'], expect: 'hello' },
  { setup: [...twoAttrs, ['ln-s', 'f', '/l']], args: ['/l', 'user.a'], error: /\/l: user\.a: No data available/ },
]);

function setOp<const N extends string>(name: N, follow: boolean, tests: () => readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'xattr', type: 'string' },
      { name: 'val', type: 'string' },
      { name: 'vallen', type: 'int' },
      { name: 'path', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: follow ? 'set an extended attribute of a file or directory' : 'set an extended attribute of a file, symlink or directory',
    description: `Set the extended attribute xattr of path to the first vallen bytes of val (its UTF-8
      bytes; write control bytes with guestfish's escapes, "\\x01"; a jfish word is UTF-8 text, so a
      value that is not UTF-8, such as a lone \\xff, cannot be given), creating or replacing it.
      ${follow ? 'A symlink is followed inside the guest, never out of it.' : 'When path is a symlink, the link itself gets the attribute (Linux allows only trusted.* and security.* there).'}
      guestfish sends whatever follows the string when vallen exceeds it; jfish refuses that.`,
    async impl(ctx, [attr, val, vallen, p]) {
      const bytes = Buffer.from(val, 'utf8');
      if (!Number.isInteger(vallen) || vallen < 0 || vallen > bytes.length)
        throw new JootError('EINVAL', `${p}: vallen ${vallen} is not between 0 and the length of val (${bytes.length} bytes)`);
      await setGuestXattr(ctx.session.writer, p, attr, bytes.subarray(0, vallen), { follow });
      return undefined;
    },
    guestfishDiffers: 'libguestfs has no test of its own for this action',
    get tests() {
      return tests();
    },
  });
}

export const setxattr = setOp('setxattr', true, () => [
  {
    setup: [['touch', '/f']],
    args: ['user.test', 'hello', '5', '/f'],
    check: { run: ['getxattr', '/f', 'user.test'], expect: 'hello' },
  },
  {
    setup: [['touch', '/f']],
    args: ['user.test', 'hello', '3', '/f'],
    check: { run: ['getxattr', '/f', 'user.test'], expect: 'hel' },
    title: 'setxattr keeps the first vallen bytes',
  },
  {
    setup: [
      ['touch', '/f'],
      ['ln-s', 'f', '/l'],
    ],
    args: ['user.via', 'v', '1', '/l'],
    check: { run: ['lgetxattrs', '/f'], expect: '[0] = {\n  attrname: user.via\n  attrval: v\n}' },
    title: 'setxattr through a symlink sets the target’s attribute',
  },
  { setup: [['touch', '/f']], args: ['user.test', 'abc', '5', '/f'], error: /vallen 5 is not between 0 and the length of val/ },
  { args: ['user.test', 'v', '1', '/nope'], error: /\/nope: No such file or directory/ },
  { setup: [['touch', '/f']], args: ['bogus', 'v', '1', '/f'], error: /^\/f: Operation not supported$/ },
  { readonly: true, args: ['user.test', 'v', '1', '/f'], error: /read-only/ },
]);

export const lsetxattr = setOp('lsetxattr', false, () => [
  {
    setup: [['touch', '/f']],
    args: ['user.test', 'hello', '5', '/f'],
    check: { run: ['lgetxattr', '/f', 'user.test'], expect: 'hello' },
  },
  {
    setup: [
      ['touch', '/f'],
      ['ln-s', 'f', '/l'],
    ],
    args: ['trusted.t', 'v', '1', '/l'],
    check: { run: ['getxattrs', '/l'], expect: '' },
    title: 'lsetxattr of a symlink leaves its target alone',
  },
  {
    setup: [
      ['touch', '/f'],
      ['ln-s', 'f', '/l'],
    ],
    args: ['user.q', 'v', '1', '/l'],
    error: /^\/l: Operation not permitted$/,
    title: 'Linux allows no user.* attribute on a symlink',
  },
]);

function removeOp<const N extends string>(name: N, follow: boolean, tests: () => readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'xattr', type: 'string' },
      { name: 'path', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: follow ? 'remove an extended attribute of a file or directory' : 'remove an extended attribute, not following a symlink',
    description: `Remove the extended attribute xattr of path; one that is not there is an error (No data
      available). ${follow ? 'A symlink is followed inside the guest, never out of it.' : 'When path is a symlink, the attribute of the link itself.'}`,
    async impl(ctx, [attr, p]) {
      await removeGuestXattr(ctx.session.writer, p, attr, { follow });
      return undefined;
    },
    guestfishDiffers: 'libguestfs has no test of its own for this action',
    get tests() {
      return tests();
    },
  });
}

export const removexattr = removeOp('removexattr', true, () => [
  { setup: twoAttrs, args: ['user.a', '/f'], check: { run: ['getxattrs', '/f'], expect: '[0] = {\n  attrname: user.b\n  attrval: a \n}' } },
  { setup: [['touch', '/f']], args: ['user.none', '/f'], error: /^\/f: No data available$/ },
  { readonly: true, args: ['user.a', '/f'], error: /read-only/ },
]);

export const lremovexattr = removeOp('lremovexattr', false, () => [
  {
    setup: [
      ['ln-s', 'nowhere', '/l'],
      ['lsetxattr', 'trusted.t', 'v', '1', '/l'],
    ],
    args: ['trusted.t', '/l'],
    check: { run: ['lgetxattrs', '/l'], expect: '' },
  },
  {
    setup: [...twoAttrs, ['ln-s', 'f', '/l']],
    args: ['user.a', '/l'],
    error: /^\/l: Operation not permitted$/,
    check: { run: ['getxattr', '/f', 'user.a'], expect: 'hello' },
    title: 'lremovexattr of a symlink does not reach its target',
  },
]);

// ------------------------------------------------------------------ POSIX ACLs

export const aclGetFile = defineOp({
  name: 'acl-get-file',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'acltype', type: 'string' },
  ],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'get the POSIX ACL attached to a file',
  description: `Print the POSIX access control list of path in libacl's long text form, one entry a line
    (user::rw-, user:500:r--, group::r--, mask::r--, other::r--; users and groups by number, as
    guestfish prints them). An entry the mask narrows gets "#effective:" after a tab. acltype
    access: the ordinary ACL (a file without one shows its mode bits); default: the ACL a
    directory hands to new entries (nothing when it has none; a non-directory has none to ask
    for: Permission denied). A symlink is followed (inside the guest).`,
  async impl(ctx, [p, t]) {
    const type = aclType(t);
    const { node, attrs } = await attrsOf(ctx, p, true);
    if (type === 'default' && !isDirNode(node.stat)) throw new JootError('EPERM', `${p}: Permission denied`, { guestPath: p });
    const raw = attrs.get(type === 'access' ? ACL_ACCESS : ACL_DEFAULT);
    const entries = raw ? decodeAclOf(raw, p) : aclWithoutXattr(type, node.stat.mode);
    return aclText(entries);
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (acl-set-file’s tests read ACLs back with it)',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['touch', '/f'],
          ['chmod', '0640', '/f'],
        ],
        args: ['/f', 'access'],
        expect: 'user::rw-\ngroup::r--\nother::---\n',
        title: 'acl-get-file of a file without an ACL shows its mode',
      },
      {
        setup: [
          ['touch', '/f'],
          ['acl-set-file', '/f', 'access', 'u::rwx,g::rwx,o::r--,m::r--,u:500:rw,g:600:x,u:0:rwx'],
        ],
        args: ['/f', 'access'],
        expect:
          'user::rwx\nuser:0:rwx\t#effective:r--\nuser:500:rw-\t#effective:r--\ngroup::rwx\t#effective:r--\n' +
          'group:600:--x\t#effective:---\nmask::r--\nother::r--\n',
        title: 'acl-get-file notes what the mask leaves of each entry',
      },
      { setup: [['mkdir', '/d']], args: ['/d', 'default'], expect: '' },
      { setup: [['touch', '/f']], args: ['/f', 'default'], error: /\/f: Permission denied/ },
      { setup: [['touch', '/f']], args: ['/f', 'bogus'], error: /unknown acltype 'bogus'/ },
    ];
  },
});

function decodeAclOf(raw: Buffer, p: string) {
  try {
    return decodeAcl(raw);
  } catch (e) {
    throw e instanceof JootError ? e.withMessage(`${p}: ${e.message}`) : e;
  }
}

export const aclSetFile = defineOp({
  name: 'acl-set-file',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'acltype', type: 'string' },
    { name: 'acl', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the POSIX ACL attached to a file',
  description: `Replace the POSIX access control list of path (acltype access) or the default ACL of a
    directory (acltype default) with acl, in libacl's long or short text form:
    u::rwx,g::r-x,o::r-x, plus m::rwx and u:ID:rw- / g:ID:r-x entries for named users and groups
    (the mask is required with them). Use numbers; a name is looked up in the guest's /etc/passwd
    and /etc/group (guestfish looks names up in its appliance, which knows none of the guest's).
    The kernel keeps an access ACL that only repeats the mode bits as the mode alone. A symlink is
    followed inside the guest, never out of it.`,
  async impl(ctx, [p, t, text]) {
    const type = aclType(t);
    const entries = parseAclText(text, await guestOwners(ctx.session.reader));
    await setGuestXattr(ctx.session.writer, p, type === 'access' ? ACL_ACCESS : ACL_DEFAULT, encodeAcl(entries), { follow: true });
    return undefined;
  },
  guestfishDiffers:
    'guestfish accepts a user or group named twice in one ACL; jfish refuses it (which entry the kernel would keep is not defined)',
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [['touch', '/acl_set_file_0']],
        args: ['/acl_set_file_0', 'access', 'u::r-x,g::r-x,o::r-x'],
        check: { run: ['acl-get-file', '/acl_set_file_0', 'access'], expect: 'user::r-x\ngroup::r-x\nother::r-x\n' },
      },
      {
        from: 'libguestfs',
        setup: [['touch', '/acl_set_file_1']],
        args: ['/acl_set_file_1', 'access', 'u::r-x,g::r-x,o::r-x,m::rwx,u:500:rw,g:600:x'],
        check: {
          run: ['acl-get-file', '/acl_set_file_1', 'access'],
          expect: 'user::r-x\nuser:500:rw-\ngroup::r-x\ngroup:600:--x\nmask::rwx\nother::r-x\n',
        },
      },
      {
        from: 'libguestfs',
        setup: [['touch', '/acl_set_file_2']],
        args: ['/acl_set_file_2', 'access', 'u::r-x,g::r-x,o::r-x,u:500:rw,g:600:x'],
        error: /Invalid argument.*need a mask entry/,
      },
      {
        from: 'libguestfs',
        setup: [['touch', '/acl_set_file_3']],
        args: ['/acl_set_file_3', 'access', 'u::r-x,g::r-x,o::r-x,m::rwx,u:notauser:rw'],
        error: /no such user in the guest/,
      },
      {
        from: 'libguestfs',
        setup: [['touch', '/acl_set_file_4']],
        args: ['/acl_set_file_4', 'default', 'u::r-x,g::r-x,o::r-x'],
        error: /\/acl_set_file_4: Permission denied/,
      },
      {
        from: 'libguestfs',
        setup: [['mkdir', '/acl_set_file_5']],
        args: ['/acl_set_file_5', 'default', 'u::r-x,g::r-x,o::r-x'],
        check: { run: ['acl-get-file', '/acl_set_file_5', 'default'], expect: 'user::r-x\ngroup::r-x\nother::r-x\n' },
      },
      {
        setup: [['touch', '/f']],
        args: ['/f', 'access', 'u::rw,g::r,o::r'],
        check: { run: ['getxattrs', '/f'], expect: '' },
        title: 'an ACL that only repeats the mode bits is kept as the mode',
      },
      {
        setup: [['touch', '/f']],
        args: ['/f', 'access', 'u::rwx,g::r-x'],
        error: /Invalid argument.*needs exactly one other:: entry/,
      },
      {
        setup: [['touch', '/f']],
        args: ['/f', 'access', 'u::r-x,g::r-x,o::r-x,m::rwx,u:500:rw,u:500:r'],
        error: /named twice/,
      },
      { setup: [['touch', '/f']], args: ['/f', 'bogus', 'u::r-x,g::r-x,o::r-x'], error: /unknown acltype 'bogus'/ },
      { readonly: true, args: ['/f', 'access', 'u::r-x,g::r-x,o::r-x'], error: /read-only/ },
    ];
  },
});

export const aclDeleteDefFile = defineOp({
  name: 'acl-delete-def-file',
  group: 'files',
  args: [{ name: 'dir', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'delete the default POSIX ACL of a directory',
  description: `Remove the default POSIX access control list of the directory dir (nothing happens when
    it has none, or when dir is not a directory, as libacl does). A symlink is followed inside the
    guest, never out of it.`,
  async impl(ctx, [p]) {
    await removeGuestXattr(ctx.session.writer, p, ACL_DEFAULT, { follow: true, missingOk: true });
    return undefined;
  },
  untranslated: ['its test that a non-directory fails: libguestfs disables it (libacl does not fail there, and nor does jfish)'],
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/acl_delete_def_file_1'],
          ['acl-set-file', '/acl_delete_def_file_1', 'default', 'user::r-x,group::r-x,other::r-x'],
        ],
        args: ['/acl_delete_def_file_1'],
        check: { run: ['acl-get-file', '/acl_delete_def_file_1', 'default'], expect: '' },
      },
      { setup: [['mkdir', '/d']], args: ['/d'], check: { run: ['getxattrs', '/d'], expect: '' } },
      { setup: [['touch', '/f']], args: ['/f'], check: { run: ['getxattrs', '/f'], expect: '' } },
    ];
  },
});

// ------------------------------------------------------------------ capabilities

export const capGetFile = defineOp({
  name: 'cap-get-file',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'get the Linux capabilities attached to a file',
  description: `Print the file capabilities of path (its security.capability attribute) in libcap's text
    form, as getcap prints them: cap_net_raw=ep, =ep cap_chown-ep. A file without capabilities
    prints an empty line. A symlink is followed (inside the guest).`,
  async impl(ctx, [p]) {
    const { attrs } = await attrsOf(ctx, p, true);
    const raw = attrs.get(CAP_XATTR);
    return raw ? capsToText(decodeFileCaps(raw, p)) : '';
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (cap-set-file’s test reads capabilities back with it)',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['touch', '/f']], args: ['/f'], expect: '' },
      {
        setup: [
          ['touch', '/f'],
          ['cap-set-file', '/f', 'cap_kill=ip cap_chown=p cap_setuid=i'],
        ],
        args: ['/f'],
        expect: 'cap_kill=ip cap_setuid+i cap_chown+p',
      },
      {
        setup: [
          ['touch', '/f'],
          ['cap-set-file', '/f', '=ep cap_chown-ep'],
          ['ln-s', 'f', '/l'],
        ],
        args: ['/l'],
        expect: '=ep cap_chown-ep',
      },
    ];
  },
});

export const capSetFile = defineOp({
  name: 'cap-set-file',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'cap', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the Linux capabilities attached to a file',
  description: `Replace the file capabilities of the regular file path with cap, in libcap's text form
    (as setcap reads it): blank-separated clauses of capability names, an operator (= + -) and
    flags (e, i, p), e.g. "cap_net_raw+ep" or "cap_chown=p cap_chown+e". The effective flag must be
    on all of the permitted and inheritable capabilities or on none. As libcap does, a symlink or
    anything but a regular file is refused (Invalid argument). Written as libcap writes it
    (security.capability revision 2).`,
  async impl(ctx, [p, text]) {
    const caps = capsFromText(text);
    await ctx.session.writer.hostPathForWrite(p); // refuses a read-only session first
    const node = await ctx.session.reader.node(p, { followLast: false });
    if (!isFileNode(node.stat)) throw new JootError('EINVAL', `${p}: Invalid argument: not a regular file`, { guestPath: p });
    const value = encodeFileCaps(caps);
    await setGuestXattr(ctx.session.writer, p, CAP_XATTR, value, { follow: false });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [['touch', '/cap_set_file_0']],
        args: ['/cap_set_file_0', 'cap_chown=p cap_chown+e'],
        check: { run: ['cap-get-file', '/cap_set_file_0'], expect: 'cap_chown=ep' },
      },
      {
        setup: [['touch', '/f']],
        args: ['/f', 'cap_net_raw,cap_chown=eip cap_sys_admin+p'],
        error: /Invalid argument: effective file capabilities/,
      },
      { setup: [['touch', '/f']], args: ['/f', 'cap_bogus=ep'], error: /unknown capability 'cap_bogus'/ },
      { setup: [['touch', '/f']], args: ['/f', '+ep'], error: /no capability named/ },
      {
        setup: [['touch', '/f']],
        args: ['/f', ''],
        check: { run: ['cap-get-file', '/f'], expect: '=' },
        title: 'cap-set-file "" stores an empty set, as libcap does',
      },
      {
        setup: [
          ['touch', '/f'],
          ['ln-s', 'f', '/l'],
        ],
        args: ['/l', 'cap_chown+ep'],
        error: /\/l: Invalid argument: not a regular file/,
      },
      { readonly: true, args: ['/f', 'cap_chown+ep'], error: /read-only/ },
    ];
  },
});

export const records = [
  getxattrs,
  lgetxattrs,
  getxattr,
  lgetxattr,
  setxattr,
  lsetxattr,
  removexattr,
  lremovexattr,
  aclGetFile,
  aclSetFile,
  aclDeleteDefFile,
  capGetFile,
  capSetFile,
] as const;
