// Facts from the SOFTWARE hive: Microsoft\Windows NT\CurrentVersion (product name, variant,
// version, build) and the installed applications from the Uninstall keys, as libguestfs reads
// them (check_windows_software_registry, list_applications_windows).
import type { Hive, HiveNode } from '../../hive/index.js';
import { REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_SZ, decodeString } from '../../hive/index.js';
import type { Application } from '../types.js';

export interface SoftwareFacts {
  product_name?: string;
  product_variant?: string;
  major_version: number;
  minor_version: number;
  build_id?: string;
}

/** A string value (REG_SZ / REG_EXPAND_SZ / REG_LINK as text; anything else undefined). */
export function stringValue(node: HiveNode | undefined, name: string): string | undefined {
  const v = node?.value(name);
  if (!v) return undefined;
  if (v.type !== REG_SZ && v.type !== REG_EXPAND_SZ && v.type !== 6) return undefined;
  return decodeString(v.data);
}

/** A REG_DWORD value (also one stored as 4 bytes of another type, as some tools write). */
export function dwordValue(node: HiveNode | undefined, name: string): number | undefined {
  const v = node?.value(name);
  if (!v) return undefined;
  const d = v.data;
  if (d.length !== 4) return undefined;
  return v.type === REG_DWORD_BIG_ENDIAN ? d.readUInt32BE(0) : v.type === REG_DWORD || v.type === 3 ? d.readUInt32LE(0) : undefined;
}

export const CURRENT_VERSION = 'Microsoft\\Windows NT\\CurrentVersion';

export function softwareFacts(software: Hive): SoftwareFacts {
  const cv = software.lookup(CURRENT_VERSION);
  const facts: SoftwareFacts = { major_version: 0, minor_version: 0 };
  if (!cv) return facts;
  const product = stringValue(cv, 'ProductName');
  if (product) facts.product_name = product;
  const variant = stringValue(cv, 'InstallationType');
  if (variant) facts.product_variant = variant;
  // Windows 10 and later keep CurrentVersion at "6.3" and say 10.0 in these two dwords.
  const major = dwordValue(cv, 'CurrentMajorVersionNumber');
  const minor = dwordValue(cv, 'CurrentMinorVersionNumber');
  if (major !== undefined) {
    facts.major_version = major;
    facts.minor_version = minor ?? 0;
  } else {
    const m = /^\s*(\d+)\.(\d+)/.exec(stringValue(cv, 'CurrentVersion') ?? '');
    if (m) {
      facts.major_version = Number(m[1]);
      facts.minor_version = Number(m[2]);
    }
  }
  const build = stringValue(cv, 'CurrentBuildNumber') ?? stringValue(cv, 'CurrentBuild');
  if (build) facts.build_id = build;
  return facts;
}

/** The Uninstall keys: native first, then the 32-bit view on 64-bit Windows. */
export const UNINSTALL_KEYS = [
  'Microsoft\\Windows\\CurrentVersion\\Uninstall',
  'WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
];

/** Each subkey of the Uninstall keys is an application, named by its key (language-independent). */
export function windowsApplications(software: Hive): Application[] {
  const apps: Application[] = [];
  for (const path of UNINSTALL_KEYS) {
    const key = software.lookup(path);
    if (!key) continue;
    for (const k of key.children()) {
      const app: Application = { name: k.name, epoch: 0, version: stringValue(k, 'DisplayVersion') ?? '', release: '' };
      const fields: [keyof Application, string][] = [
        ['display_name', 'DisplayName'],
        ['install_path', 'InstallLocation'],
        ['publisher', 'Publisher'],
        ['url', 'URLInfoAbout'],
        ['description', 'Comments'],
      ];
      for (const [field, value] of fields) {
        const s = stringValue(k, value);
        if (s) (app as unknown as Record<string, unknown>)[field] = s;
      }
      apps.push(app);
    }
  }
  // sorted by name as libguestfs sorts them (byte order; native before WOW6432Node on a tie)
  return apps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
