// POSIX ACLs as guestfish's acl-get-file / acl-set-file see them: libacl's text forms over
// the system.posix_acl_access / _default xattrs (whose binary codec tar-out / tar-in share,
// ../tar/xattrs.ts). guestfish's appliance knows none of the guest's users, so its
// acl_to_text prints numbers; an entry the mask narrows gets libacl's "\t#effective:" note.
import { JootError } from '../../core/errors.js';
import { ACL_TAG, type AclEntry, type AclIds, aclFromText, minimalAcl } from '../tar/xattrs.js';

export { ACL_ACCESS, ACL_DEFAULT, decodeAcl, encodeAcl } from '../tar/xattrs.js';

const permText = (p: number): string => `${p & 4 ? 'r' : '-'}${p & 2 ? 'w' : '-'}${p & 1 ? 'x' : '-'}`;

/** libacl's acl_to_text (long form, one "\n"-terminated entry a line), ids as numbers. */
export function aclText(entries: readonly AclEntry[]): string {
  const mask = entries.find((e) => e.tag === ACL_TAG.mask);
  return entries
    .map((e) => {
      let line: string;
      switch (e.tag) {
        case ACL_TAG.userObj:
          return `user::${permText(e.perm)}\n`;
        case ACL_TAG.user:
          line = `user:${e.id}:${permText(e.perm)}`;
          break;
        case ACL_TAG.groupObj:
          line = `group::${permText(e.perm)}`;
          break;
        case ACL_TAG.group:
          line = `group:${e.id}:${permText(e.perm)}`;
          break;
        case ACL_TAG.mask:
          return `mask::${permText(e.perm)}\n`;
        default:
          return `other::${permText(e.perm)}\n`;
      }
      // the mask bounds named entries and the owning group: say what is left when it narrows them
      if (mask && (e.perm & mask.perm) !== e.perm) line += `\t#effective:${permText(e.perm & mask.perm)}`;
      return `${line}\n`;
    })
    .join('');
}

/** What acl_get_file returns for a node without the attribute: its mode's ACL, or no default ACL. */
export function aclWithoutXattr(type: 'access' | 'default', mode: number): AclEntry[] {
  return type === 'access' ? minimalAcl(mode) : [];
}

/** acl-set-file's acltype argument. */
export function aclType(s: string): 'access' | 'default' {
  if (s === 'access' || s === 'default') return s;
  throw new JootError('EINVAL', `unknown acltype '${s}': expected access or default`);
}

/**
 * acl_from_text (long or short form: "u::rwx,g::r-x,o::r--,m::rwx,u:500:rw-"), then the checks
 * of acl_valid and the kernel: one owner, group and other entry, at most one mask, a mask when
 * there are named entries, no name twice. Names are the guest's (ids), numbers are taken as
 * they are.
 */
export function parseAclText(text: string, ids: AclIds): AclEntry[] {
  const entries = aclFromText(text, ids);
  const count = (tag: number) => entries.filter((e) => e.tag === tag).length;
  const invalid = (why: string) => new JootError('EINVAL', `Invalid argument: ACL '${text}': ${why}`);
  for (const [tag, name] of [
    [ACL_TAG.userObj, 'user::'],
    [ACL_TAG.groupObj, 'group::'],
    [ACL_TAG.other, 'other::'],
  ] as const) {
    if (count(tag) !== 1) throw invalid(`needs exactly one ${name} entry`);
  }
  if (count(ACL_TAG.mask) > 1) throw invalid('more than one mask entry');
  const named = entries.filter((e) => e.tag === ACL_TAG.user || e.tag === ACL_TAG.group);
  if (named.length > 0 && count(ACL_TAG.mask) === 0) throw invalid('entries for named users or groups need a mask entry (m::rwx)');
  const seen = new Set(named.map((e) => `${e.tag}:${e.id}`));
  if (seen.size !== named.length) throw invalid('a user or group is named twice');
  return entries;
}
