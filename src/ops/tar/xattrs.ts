// Extended attributes, SELinux labels and POSIX ACLs for tar-out / tar-in, stored as GNU tar
// 1.34 stores them in pax records:
//   xattrs:true   SCHILY.xattr.NAME=VALUE  (raw bytes) for every attribute except
//                 security.selinux and system.posix_acl_* (which the two options below own)
//   selinux:true  RHT.security.selinux=LABEL  (the label without its trailing NUL)
//   acls:true     SCHILY.acl.access=TEXT, SCHILY.acl.default=TEXT  (libacl's acl_to_text:
//                 one "tag:qualifier:rwx" entry per line, each ending in "\n", names from
//                 the guest's /etc/passwd and /etc/group)
// Node has no xattr API, so attributes are read with the host's `getfattr -h` and written
// with `setfattr -h --restore=-` (never following a final symlink), many files per process.
// The host paths given to them are the ones walk.ts / extract.ts resolved inside the guest
// root: every directory above them is a real directory below the guest root.
import { JootError } from '../../core/errors.js';
import { run as defaultRun, type Runner } from '../../core/run.js';

export interface AttrOptions {
  xattrs: boolean;
  selinux: boolean;
  acls: boolean;
}

export const anyAttrs = (o: AttrOptions | undefined): o is AttrOptions => !!o && (o.xattrs || o.selinux || o.acls);

export const SELINUX = 'security.selinux';
export const ACL_ACCESS = 'system.posix_acl_access';
export const ACL_DEFAULT = 'system.posix_acl_default';

// ------------------------------------------------------------------ POSIX ACLs

/** ACL entry tags (linux/posix_acl.h), in the kernel's sort order. */
export const ACL_TAG = { userObj: 0x01, user: 0x02, groupObj: 0x04, group: 0x08, mask: 0x10, other: 0x20 } as const;
const ACL_VERSION = 2;
const ACL_UNDEFINED_ID = 0xffffffff;

export interface AclEntry {
  tag: number;
  /** rwx bits: 4 read, 2 write, 1 execute */
  perm: number;
  /** uid / gid for user / group entries, otherwise undefined */
  id?: number;
}

/** The system.posix_acl_* xattr value: u32 version 2, then {u16 tag, u16 perm, u32 id} LE. */
export function decodeAcl(b: Buffer): AclEntry[] {
  if (b.length < 4 || (b.length - 4) % 8 !== 0 || b.readUInt32LE(0) !== ACL_VERSION) {
    throw new JootError('EINVAL', 'malformed POSIX ACL attribute');
  }
  const out: AclEntry[] = [];
  for (let off = 4; off < b.length; off += 8) {
    const tag = b.readUInt16LE(off);
    const perm = b.readUInt16LE(off + 2) & 7;
    const id = b.readUInt32LE(off + 4);
    if (!Object.values(ACL_TAG).includes(tag as never)) throw new JootError('EINVAL', `malformed POSIX ACL attribute (tag ${tag})`);
    out.push(tag === ACL_TAG.user || tag === ACL_TAG.group ? { tag, perm, id } : { tag, perm });
  }
  return out;
}

export function encodeAcl(entries: readonly AclEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag || (a.id ?? 0) - (b.id ?? 0));
  const b = Buffer.alloc(4 + 8 * sorted.length);
  b.writeUInt32LE(ACL_VERSION, 0);
  sorted.forEach((e, i) => {
    b.writeUInt16LE(e.tag, 4 + 8 * i);
    b.writeUInt16LE(e.perm & 7, 6 + 8 * i);
    b.writeUInt32LE(e.id ?? ACL_UNDEFINED_ID, 8 + 8 * i);
  });
  return b;
}

/** The ACL that only mirrors the mode bits (what acl_get_file returns without an xattr). */
export function minimalAcl(mode: number): AclEntry[] {
  return [
    { tag: ACL_TAG.userObj, perm: (mode >> 6) & 7 },
    { tag: ACL_TAG.groupObj, perm: (mode >> 3) & 7 },
    { tag: ACL_TAG.other, perm: mode & 7 },
  ];
}

const permText = (p: number): string => `${p & 4 ? 'r' : '-'}${p & 2 ? 'w' : '-'}${p & 1 ? 'x' : '-'}`;

export interface AclNames {
  user(uid: number): string;
  group(gid: number): string;
}

/** acl_to_text(acl, NULL): "user::rw-\nuser:alice:r--\n…", a name where one is known. */
export function aclToText(entries: readonly AclEntry[], names: AclNames): string {
  return entries
    .map((e) => {
      switch (e.tag) {
        case ACL_TAG.userObj:
          return `user::${permText(e.perm)}\n`;
        case ACL_TAG.user:
          return `user:${names.user(e.id!) || e.id}:${permText(e.perm)}\n`;
        case ACL_TAG.groupObj:
          return `group::${permText(e.perm)}\n`;
        case ACL_TAG.group:
          return `group:${names.group(e.id!) || e.id}:${permText(e.perm)}\n`;
        case ACL_TAG.mask:
          return `mask::${permText(e.perm)}\n`;
        default:
          return `other::${permText(e.perm)}\n`;
      }
    })
    .join('');
}

export interface AclIds {
  uidOf(name: string): number | undefined;
  gidOf(name: string): number | undefined;
}

const TAGS: Record<string, number> = {
  user: ACL_TAG.user,
  u: ACL_TAG.user,
  group: ACL_TAG.group,
  g: ACL_TAG.group,
  mask: ACL_TAG.mask,
  m: ACL_TAG.mask,
  other: ACL_TAG.other,
  o: ACL_TAG.other,
};

/** acl_from_text: entries separated by newlines or commas, '#' comments, long or one-letter
 *  tags, names (looked up with `ids`) or numbers as qualifiers. */
export function aclFromText(text: string, ids: AclIds): AclEntry[] {
  const out: AclEntry[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const s = raw.replace(/#.*$/, '').trim();
    if (s === '') continue;
    const f = s.split(':').map((x) => x.trim());
    if (f.length !== 3 && !(f.length === 2 && (f[0] === 'other' || f[0] === 'o' || f[0] === 'mask' || f[0] === 'm'))) {
      throw new JootError('EINVAL', `bad ACL entry '${s}'`);
    }
    const [tagName, qual, perms] = f.length === 3 ? (f as [string, string, string]) : [f[0]!, '', f[1]!];
    let tag = TAGS[tagName];
    if (tag === undefined) throw new JootError('EINVAL', `bad ACL entry '${s}'`);
    if (!/^[rwx-]*$/.test(perms)) throw new JootError('EINVAL', `bad ACL permissions in '${s}'`);
    const perm = (perms.includes('r') ? 4 : 0) | (perms.includes('w') ? 2 : 0) | (perms.includes('x') ? 1 : 0);
    if (qual === '') {
      if (tag === ACL_TAG.user) tag = ACL_TAG.userObj;
      else if (tag === ACL_TAG.group) tag = ACL_TAG.groupObj;
      out.push({ tag, perm });
      continue;
    }
    if (tag !== ACL_TAG.user && tag !== ACL_TAG.group) throw new JootError('EINVAL', `bad ACL entry '${s}'`);
    const id = /^[0-9]+$/.test(qual) ? Number(qual) : tag === ACL_TAG.user ? ids.uidOf(qual) : ids.gidOf(qual);
    if (id === undefined || id > 0xfffffffe)
      throw new JootError('EINVAL', `ACL entry '${s}': no such ${tag === ACL_TAG.user ? 'user' : 'group'} in the guest`);
    out.push({ tag, perm, id });
  }
  return out;
}

// ------------------------------------------------------------------ attributes <-> pax

/** GNU tar's xattr_encode_keyword: '%' and '=' in an attribute name become %25 and %3D (a
 *  pax keyword cannot hold '='). */
export const encodeXattrName = (name: string): string => name.replace(/%/g, '%25').replace(/=/g, '%3D');
export const decodeXattrName = (kw: string): string => kw.replace(/%3D/g, '=').replace(/%25/g, '%');

/** The pax records for one member's attributes (GNU tar's order: ACLs, label, xattrs). */
export function attrsToPax(
  attrs: ReadonlyMap<string, Buffer>,
  mode: number,
  isDir: boolean,
  isLink: boolean,
  o: AttrOptions,
  names: AclNames,
): [string, Buffer][] {
  const recs: [string, Buffer][] = [];
  if (o.acls && !isLink) {
    const access = attrs.get(ACL_ACCESS);
    const dflt = isDir ? attrs.get(ACL_DEFAULT) : undefined;
    if (access || dflt) {
      recs.push(['SCHILY.acl.access', Buffer.from(aclToText(access ? decodeAcl(access) : minimalAcl(mode), names))]);
      if (dflt && dflt.length > 4) recs.push(['SCHILY.acl.default', Buffer.from(aclToText(decodeAcl(dflt), names))]);
    }
  }
  if (o.selinux) {
    const label = attrs.get(SELINUX);
    if (label) {
      const nul = label.indexOf(0);
      const v = nul === -1 ? label : label.subarray(0, nul);
      if (v.length) recs.push(['RHT.security.selinux', v]);
    }
  }
  if (o.xattrs) {
    for (const [name, value] of attrs) {
      if (name === SELINUX || name.startsWith('system.posix_acl_')) continue;
      recs.push([`SCHILY.xattr.${encodeXattrName(name)}`, value]);
    }
  }
  return recs;
}

/** The attributes to set from a member's pax records (values are latin1 byte strings). */
export function paxToAttrs(
  pax: Readonly<Record<string, string>>,
  isDir: boolean,
  isLink: boolean,
  o: AttrOptions,
  ids: AclIds,
): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  if (o.xattrs) {
    for (const [k, v] of Object.entries(pax)) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const name = decodeXattrName(k.slice('SCHILY.xattr.'.length));
      if (name === '' || name === SELINUX || name.startsWith('system.')) continue;
      out.push([name, Buffer.from(v, 'latin1')]);
    }
  }
  if (o.selinux) {
    const label = pax['RHT.security.selinux'] ?? pax[`SCHILY.xattr.${SELINUX}`];
    if (label) {
      const v = Buffer.from(label, 'latin1');
      out.push([SELINUX, v[v.length - 1] === 0 ? v : Buffer.concat([v, Buffer.alloc(1)])]);
    }
  }
  if (o.acls && !isLink) {
    const access = pax['SCHILY.acl.access'];
    const dflt = pax['SCHILY.acl.default'];
    if (access) out.push([ACL_ACCESS, encodeAcl(aclFromText(Buffer.from(access, 'latin1').toString('utf8'), ids))]);
    if (dflt && isDir) out.push([ACL_DEFAULT, encodeAcl(aclFromText(Buffer.from(dflt, 'latin1').toString('utf8'), ids))]);
  }
  return out;
}

// ------------------------------------------------------------------ getfattr / setfattr

// reading is the kernel engine's GuestFileReader.attrs (appliance/host-xattrs.ts); re-exported for the tests
export { parseGetfattr, readAttrs, unquote } from '../../appliance/host-xattrs.js';

/** The reverse, for setfattr --restore: every byte outside printable ASCII, and \ = space. */
export function quote(b: Buffer): string {
  let s = '';
  for (const c of b) s += c > 0x20 && c < 0x7f && c !== 0x5c && c !== 0x3d ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
  return s;
}

/** Set attributes on host paths (links not followed), all in one setfattr process. Failures
 *  are warned about one line each, as GNU tar does; they do not fail the extraction. */
export async function writeAttrs(
  items: readonly { path: Buffer; attrs: readonly [string, Buffer][] }[],
  warn: (m: string) => void,
  run: Runner = defaultRun,
): Promise<void> {
  const todo = items.filter((i) => i.attrs.length > 0);
  if (todo.length === 0) return;
  const dump = todo
    .map(
      (i) =>
        `# file: ${quote(i.path)}\n${i.attrs.map(([n, v]) => `${quote(Buffer.from(n, 'utf8'))}=0s${v.toString('base64')}\n`).join('')}\n`,
    )
    .join('');
  const r = await run('setfattr', ['-h', '--restore=-'], { input: dump, allowFailure: true });
  for (const line of r.stderr.split('\n')) if (line.trim() !== '') warn(line.replace(/^setfattr: /, ''));
  if (r.exitCode !== 0 && r.stderr.trim() === '') warn(`setfattr failed (exit ${r.exitCode})`);
}
