// Registry paths → hive files, as virt-win-reg maps them:
//   HKLM\SAM, HKLM\SECURITY, HKLM\SOFTWARE, HKLM\SYSTEM → %systemroot%\System32\config\<NAME>
//   HKU\.DEFAULT                                        → %systemroot%\System32\config\DEFAULT
//   HKU\S-1-5-…  (and LocalSystem, LocalService, NetworkService)
//                → the profile directory named by SOFTWARE's ProfileList\<SID>\ProfileImagePath, \NTUSER.DAT
//   HKU\<user>   → \Users\<user>\NTUSER.DAT (or \Documents and Settings\<user>\NTUSER.DAT)
// (virt-win-reg names .DEFAULT's keys HKEY_LOCAL_MACHINE\.DEFAULT; here HKEY_USERS\.DEFAULT.)
import { JootError } from '../../core/errors.js';

export type HiveRef =
  | { kind: 'config'; name: 'SAM' | 'SECURITY' | 'SOFTWARE' | 'SYSTEM' | 'DEFAULT' }
  | { kind: 'sid'; sid: string }
  | { kind: 'user'; user: string };

export interface RegLocation {
  hive: HiveRef;
  /** the registry path the hive's root stands for: HKEY_LOCAL_MACHINE\SOFTWARE */
  prefix: string;
  /** the key inside the hive ('' for its root) */
  key: string;
}

const WELL_KNOWN: Record<string, string> = { localsystem: 'S-1-5-18', localservice: 'S-1-5-19', networkservice: 'S-1-5-20' };

/** Where a registry path lives. EINVAL for a path no hive holds. */
export function locate(path: string): RegLocation {
  const parts = path.split('\\').filter((p) => p !== '');
  const root = (parts[0] ?? '').toUpperCase();
  const second = parts[1];
  const rest = parts.slice(2).join('\\');
  if ((root === 'HKEY_LOCAL_MACHINE' || root === 'HKLM') && second !== undefined) {
    const name = second.toUpperCase();
    if (name === 'SAM' || name === 'SECURITY' || name === 'SOFTWARE' || name === 'SYSTEM') {
      return { hive: { kind: 'config', name }, prefix: `HKEY_LOCAL_MACHINE\\${name}`, key: rest };
    }
  }
  if ((root === 'HKEY_USERS' || root === 'HKU') && second !== undefined) {
    if (second.toUpperCase() === '.DEFAULT')
      return { hive: { kind: 'config', name: 'DEFAULT' }, prefix: 'HKEY_USERS\\.DEFAULT', key: rest };
    const sid = WELL_KNOWN[second.toLowerCase()] ?? (/^S-1-5-[0-9-]+$/i.test(second) ? second.toUpperCase() : undefined);
    if (sid) return { hive: { kind: 'sid', sid }, prefix: `HKEY_USERS\\${second}`, key: rest };
    if (/^[^/\\:*?"<>|]+$/.test(second) && second !== '.' && second !== '..') {
      return { hive: { kind: 'user', user: second }, prefix: `HKEY_USERS\\${second}`, key: rest };
    }
  }
  if (root === 'HKEY_CURRENT_USER' || root === 'HKCU') {
    throw new JootError('EINVAL', `${path}: HKEY_CURRENT_USER exists only while someone is logged in: use HKEY_USERS\\<SID or user name>`);
  }
  throw new JootError(
    'EINVAL',
    `${path}: not a supported registry path (HKLM\\SOFTWARE, HKLM\\SYSTEM, HKLM\\SAM, HKLM\\SECURITY, HKU\\.DEFAULT, HKU\\<SID>, HKU\\<user>)`,
  );
}

/** A stable key for grouping: one per hive file. */
export function hiveId(h: HiveRef): string {
  return h.kind === 'config' ? `config:${h.name}` : h.kind === 'sid' ? `sid:${h.sid}` : `user:${h.user.toLowerCase()}`;
}
