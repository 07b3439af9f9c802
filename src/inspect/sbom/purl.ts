// Package URLs (https://github.com/package-url/purl-spec) for the applications of an
// inspection report. Written here rather than with packageurl-js: a dozen lines, and the
// encoding the spec asks for (every byte outside [A-Za-z0-9.-_~] percent-encoded, so a
// Debian "+b2" reads "%2Bb2") must be exact for scanners to match the purls.
import type { Application, OperatingSystem } from '../types.js';
import { distroIdentity } from './os-identity.js';

export interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  /** written sorted by key, empty values left out (as the spec's canonical form) */
  qualifiers?: Record<string, string | undefined>;
}

/** Percent-encode every byte outside the unreserved set; `keep` names characters left as they are. */
function encode(s: string, keep = ''): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(c) || (keep.includes(c) && byte < 0x80) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The canonical purl string. */
export function purlString(p: Purl): string {
  let s = `pkg:${p.type.toLowerCase()}/`;
  if (p.namespace)
    s += `${p.namespace
      .split('/')
      .map((seg) => encode(seg))
      .join('/')}/`;
  s += encode(p.name);
  // ':' of an epoch stays as it is: the spec leaves it unencoded in a version (as packageurl-js)
  if (p.version) s += `@${encode(p.version, ':')}`;
  const q = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (q.length) s += `?${q.map(([k, v]) => `${k.toLowerCase()}=${encode(v, ':')}`).join('&')}`;
  return s;
}

/** "[epoch:]version[-release]": Debian's and pacman's own spelling of a package version. */
function epochVersionRelease(app: Application, releaseSep = '-'): string {
  const e = app.epoch > 0 ? `${app.epoch}:` : '';
  return `${e}${app.version}${app.release ? `${releaseSep}${app.release}` : ''}`;
}

/**
 * The purl of the source package an application was built from, where the package format has
 * one: Debian's source packages are `arch=source` (the spec's own example). Its version is not
 * known here (a dpkg Source field names it only when it differs), so the purl has none.
 */
export function sourcePurl(source: string, os: OperatingSystem): Purl | undefined {
  if (os.package_format !== 'deb' || !source) return undefined;
  const id = distroIdentity(os);
  return { type: 'deb', namespace: id.namespace, name: source, qualifiers: { arch: 'source', distro: id.distro } };
}

/** The purl of an application of an operating system, or undefined where none can be formed (no name). */
export function applicationPurl(app: Application, os: OperatingSystem): Purl | undefined {
  if (!app.name) return undefined;
  const id = distroIdentity(os);
  const arch = app.arch || undefined;
  switch (os.package_format) {
    case 'deb':
      return {
        type: 'deb',
        namespace: id.namespace,
        name: app.name,
        version: epochVersionRelease(app),
        qualifiers: { arch, distro: id.distro },
      };
    case 'rpm':
      // rpm keeps the epoch apart (the spec's "epoch" qualifier); version is "version-release"
      return {
        type: 'rpm',
        namespace: id.namespace,
        name: app.name,
        version: `${app.version}${app.release ? `-${app.release}` : ''}`,
        qualifiers: { arch, epoch: app.epoch > 0 ? String(app.epoch) : undefined, distro: id.distro },
      };
    case 'apk':
      // the report keeps apk's release without its 'r' (as libguestfs): apk spells it "-rN"
      return {
        type: 'apk',
        namespace: id.namespace,
        name: app.name,
        version: epochVersionRelease(app, '-r'),
        qualifiers: { arch, distro: id.distro },
      };
    case 'pacman':
      return {
        type: 'alpm',
        namespace: id.namespace,
        name: app.name,
        version: epochVersionRelease(app),
        qualifiers: { arch, distro: id.distro },
      };
    default:
      // Windows (no package format) and anything else: a generic purl of the displayed name
      return { type: 'generic', name: app.display_name || app.name, version: app.version || undefined };
  }
}
