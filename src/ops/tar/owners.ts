// User and group names for tar headers, from the GUEST's /etc/passwd and /etc/group (the
// host's would name the wrong people): tar-out writes names next to the numbers, tar-in
// maps a name that the guest knows back to the guest's number, as tar does when extracting.
import type { GuestFileReader } from '../../appliance/guest-files.js';

export interface Owners {
  user(uid: number): string;
  group(gid: number): string;
  uidOf(name: string): number | undefined;
  gidOf(name: string): number | undefined;
}

export const numericOwners: Owners = {
  user: () => '',
  group: () => '',
  uidOf: () => undefined,
  gidOf: () => undefined,
};

/** name:x:id:… lines → both directions (the first line for a name or an id wins). */
function parseDb(text: string): [Map<number, string>, Map<string, number>] {
  const byId = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || f[0].startsWith('#') || !/^[0-9]+$/.test(f[2]!)) continue;
    const id = Number(f[2]);
    if (!byId.has(id)) byId.set(id, f[0]);
    if (!byName.has(f[0])) byName.set(f[0], id);
  }
  return [byId, byName];
}

async function readDb(reader: GuestFileReader, p: string): Promise<string> {
  try {
    return await reader.readText(p, { maxBytes: 16 * 1024 * 1024 });
  } catch {
    return ''; // no such file (or not a Linux guest): numbers only
  }
}

export async function guestOwners(reader: GuestFileReader): Promise<Owners> {
  const [users, uids] = parseDb(await readDb(reader, '/etc/passwd'));
  const [groups, gids] = parseDb(await readDb(reader, '/etc/group'));
  return {
    user: (uid) => users.get(uid) ?? '',
    group: (gid) => groups.get(gid) ?? '',
    uidOf: (n) => uids.get(n),
    gidOf: (n) => gids.get(n),
  };
}
