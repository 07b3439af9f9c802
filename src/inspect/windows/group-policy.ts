// Whether a Windows guest has had Group Policy Objects applied: the SOFTWARE hive's
// Microsoft\Windows\CurrentVersion\Group Policy\History has a subkey named like "{<GUID>}" (one
// per client-side extension that applied a GPO; KB 201453). This is libguestfs's test
// (inspect_get_windows_group_policy, 1.58, taken over from virt-v2v): a name longer than three
// characters, "{" then a hex digit first, "}" last.
import type { Hive } from '../../hive/index.js';

export const GROUP_POLICY_HISTORY = 'Microsoft\\Windows\\CurrentVersion\\Group Policy\\History';

/** At most this many History subkeys are looked at (a real one has a handful). */
const MAX_SUBKEYS = 4096;

function isGpoKeyName(name: string): boolean {
  return name.length > 3 && name[0] === '{' && /^[0-9A-Fa-f]$/.test(name[1]!) && name[name.length - 1] === '}';
}

/** True when the hive records applied GPOs; false without the key or such a subkey. */
export function hasGroupPolicy(software: Hive): boolean {
  const history = software.lookup(GROUP_POLICY_HISTORY);
  if (!history) return false;
  let seen = 0;
  for (const k of history.children()) {
    if (isGpoKeyName(k.name)) return true;
    if (++seen >= MAX_SUBKEYS) break;
  }
  return false;
}
