// The optional sections of a Windows root, from its registry: users from the SAM hive (account
// names and RIDs only: the V and F values holding hashes are never decoded), services from the
// SYSTEM hive (the current control set's Services keys with Start=2, automatic, that are
// Win32 services rather than drivers).
import { oneLine } from '../../core/errors.js';
import type { Hive } from '../../hive/index.js';
import { configHivePath, openHive } from '../windows/hives.js';
import { dwordValue } from '../windows/software.js';
import { currentControlSet } from '../windows/system.js';
import type { GuestFiles, Service, User } from '../types.js';
import type { SectionName } from './names.js';

/** registry keys looked at in one list (users, services), at most */
export const MAX_KEYS = 8192;

/** SAM\Domains\Account\Users\Names\NAME: the key's default value's type is the RID. */
export function samUsers(sam: Hive): User[] {
  const names = sam.lookup('SAM\\Domains\\Account\\Users\\Names');
  const out: User[] = [];
  for (const k of (names?.children() ?? []).slice(0, MAX_KEYS)) {
    const v = k.value('');
    out.push({ name: k.name, ...(v ? { rid: v.type } : {}) });
  }
  return out.sort((a, b) => (a.rid ?? 0) - (b.rid ?? 0) || (a.name < b.name ? -1 : 1));
}

// SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS (drivers are 0x1, 0x2)
const WIN32_SERVICE = 0x30;
const AUTO_START = 2;

export function autoStartServices(system: Hive): Service[] {
  const ccs = currentControlSet(system);
  if (!ccs) return [];
  const out: Service[] = [];
  for (const k of (system.lookup(`${ccs}\\Services`)?.children() ?? []).slice(0, MAX_KEYS)) {
    if (dwordValue(k, 'Start') !== AUTO_START) continue;
    if (((dwordValue(k, 'Type') ?? 0) & WIN32_SERVICE) === 0) continue;
    out.push({ name: k.name });
  }
  return out.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
}

async function fromHive<T>(
  files: GuestFiles,
  systemroot: string,
  name: string,
  warnings: string[],
  fn: (h: Hive) => T,
): Promise<T | undefined> {
  const path = await configHivePath(files, systemroot, name);
  if (!path) {
    warnings.push(`${systemroot}/System32/config/${name}: no such hive`);
    return undefined;
  }
  try {
    return fn(await openHive(files, path, warnings));
  } catch (e) {
    warnings.push(`${path}: ${oneLine(e)}`);
    return undefined;
  }
}

export async function windowsSections(
  files: GuestFiles,
  systemroot: string,
  want: ReadonlySet<SectionName>,
  warnings: string[],
): Promise<{ users?: User[]; services?: Service[] }> {
  const out: { users?: User[]; services?: Service[] } = {};
  if (want.has('users')) out.users = (await fromHive(files, systemroot, 'SAM', warnings, samUsers)) ?? [];
  if (want.has('services')) out.services = (await fromHive(files, systemroot, 'SYSTEM', warnings, autoStartServices)) ?? [];
  return out;
}
