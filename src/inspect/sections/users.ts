// --with users: the accounts of /etc/passwd with their groups from /etc/group. Only name, ids,
// home and shell are taken: the password field is never read into the report, and /etc/shadow
// is never opened.
import type { GuestFiles, User } from '../types.js';
import { readConfig } from './bounded.js';

/** accounts listed, at most */
export const MAX_USERS = 4096;
/** groups looked at, at most */
export const MAX_GROUPS = 8192;

const ID = /^\d{1,10}$/;

export function parsePasswd(text: string, warnings: string[]): User[] {
  const out: User[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const f = line.split(':');
    // name:password:uid:gid:gecos:home:shell (field 1, the password, is skipped on purpose)
    if (f.length < 7 || f[0] === '' || !ID.test(f[2]!) || !ID.test(f[3]!)) {
      bad++;
      continue;
    }
    if (out.length >= MAX_USERS) {
      warnings.push(`/etc/passwd: more than ${MAX_USERS} accounts; the rest are not listed`);
      break;
    }
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! });
  }
  if (bad) warnings.push(`/etc/passwd: ${bad} malformed line${bad === 1 ? '' : 's'} skipped`);
  return out;
}

export interface Group {
  name: string;
  gid: number;
  members: string[];
}

export function parseGroup(text: string): Group[] {
  const out: Group[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || !ID.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) });
    if (out.length >= MAX_GROUPS) break;
  }
  return out;
}

/** Each user's groups: the primary group (by gid) first, then those listing the user. */
export function withGroups(users: User[], groups: Group[]): User[] {
  const byGid = new Map<number, string>();
  for (const g of groups) if (!byGid.has(g.gid)) byGid.set(g.gid, g.name);
  const memberOf = new Map<string, string[]>();
  for (const g of groups) for (const m of g.members) (memberOf.get(m) ?? memberOf.set(m, []).get(m)!).push(g.name);
  return users.map((u) => {
    const primary = u.gid !== undefined ? byGid.get(u.gid) : undefined;
    const groupsOf = [...(primary ? [primary] : []), ...(memberOf.get(u.name) ?? []).filter((g) => g !== primary)];
    return { ...u, groups: [...new Set(groupsOf)] };
  });
}

export async function linuxUsers(files: GuestFiles, warnings: string[]): Promise<User[]> {
  const passwd = await readConfig(files, '/etc/passwd', warnings);
  if (passwd === undefined) return [];
  const group = (await readConfig(files, '/etc/group', warnings)) ?? '';
  return withGroups(parsePasswd(passwd, warnings), parseGroup(group));
}
