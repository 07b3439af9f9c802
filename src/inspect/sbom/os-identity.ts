// How SBOMs name an inspected operating system: the purl namespace and "distro" qualifier of
// its packages, the name and version of its metadata component, its CPE where one is known.
import type { OperatingSystem } from '../types.js';

interface DistroFacts {
  /** purl namespace of its packages (the purl spec's examples: debian, ubuntu, fedora, redhat, alpine, arch) */
  namespace: string;
  /** os-release ID, the "distro" qualifier's prefix */
  id: string;
  /** CPE vendor:product of the OS (NVD's dictionary), when NVD has one */
  cpe?: string;
  /** the version is the major number alone (Debian's point releases, Fedora) */
  majorOnly?: boolean;
  /** the minor number is written with two digits (Ubuntu's 22.04) */
  twoDigitMinor?: boolean;
}

// keyed by virt-inspector's distro names
const DISTROS: Record<string, DistroFacts> = {
  debian: { namespace: 'debian', id: 'debian', cpe: 'debian:debian_linux', majorOnly: true },
  ubuntu: { namespace: 'ubuntu', id: 'ubuntu', cpe: 'canonical:ubuntu_linux', twoDigitMinor: true },
  linuxmint: { namespace: 'linuxmint', id: 'linuxmint' },
  kalilinux: { namespace: 'kali', id: 'kali' },
  fedora: { namespace: 'fedora', id: 'fedora', cpe: 'fedoraproject:fedora', majorOnly: true },
  rhel: { namespace: 'redhat', id: 'rhel', cpe: 'redhat:enterprise_linux' },
  centos: { namespace: 'centos', id: 'centos', cpe: 'centos:centos' },
  rocky: { namespace: 'rocky', id: 'rocky' },
  almalinux: { namespace: 'almalinux', id: 'almalinux' },
  oraclelinux: { namespace: 'oracle', id: 'ol', cpe: 'oracle:linux' },
  opensuse: { namespace: 'opensuse', id: 'opensuse' },
  sles: { namespace: 'suse', id: 'sles' },
  mageia: { namespace: 'mageia', id: 'mageia' },
  alpinelinux: { namespace: 'alpine', id: 'alpine', cpe: 'alpinelinux:alpine_linux' },
  archlinux: { namespace: 'arch', id: 'arch' },
};

export interface DistroIdentity {
  namespace?: string;
  /** the purl "distro" qualifier (debian-12, fedora-39, ubuntu-22.04); undefined for a rolling or unknown version */
  distro?: string;
}

/** The OS version as its vendor writes it; undefined when inspection found none (rolling, unknown). */
export function osVersion(os: OperatingSystem): string | undefined {
  if (os.major_version === 0 && os.minor_version === 0) return undefined;
  const f = os.distro !== undefined ? DISTROS[os.distro] : undefined;
  if (f?.majorOnly) return String(os.major_version);
  const minor = f?.twoDigitMinor ? String(os.minor_version).padStart(2, '0') : String(os.minor_version);
  return `${os.major_version}.${minor}`;
}

export function distroIdentity(os: OperatingSystem): DistroIdentity {
  const f = os.distro !== undefined ? DISTROS[os.distro] : undefined;
  const version = osVersion(os);
  const namespace = f?.namespace ?? (os.distro && os.distro !== 'unknown' ? os.distro : undefined);
  const id = f?.id ?? namespace;
  return { namespace, distro: id && version ? `${id}-${version}` : undefined };
}

/** The SBOM name of the OS: the distro (debian, fedora, windows), else the kind (linux). */
export function osName(os: OperatingSystem): string {
  return os.distro && os.distro !== 'unknown' ? os.distro : os.name;
}

// Windows products NVD lists without a version (the build is what varies)
const WINDOWS_PRODUCTS: [RegExp, string][] = [
  [/^Windows 11\b/i, 'windows_11'],
  [/^Windows 10\b/i, 'windows_10'],
  [/^Windows 8\.1\b/i, 'windows_8.1'],
  [/^Windows 7\b/i, 'windows_7'],
  [/^Windows Server (2012 R2|2016|2019|2022|2025)\b/i, 'windows_server_'],
];

/** A CPE 2.3 name of the OS, where its vendor, product and version are known. */
export function osCpe(os: OperatingSystem): string | undefined {
  if (os.name === 'windows') {
    const product = os.product_name ?? '';
    for (const [re, name] of WINDOWS_PRODUCTS) {
      const m = re.exec(product);
      if (m) return `cpe:2.3:o:microsoft:${name.endsWith('_') ? `${name}${m[1]!.toLowerCase().replace(' ', '_')}` : name}:-:*:*:*:*:*:*:*`;
    }
    return undefined;
  }
  const f = os.distro !== undefined ? DISTROS[os.distro] : undefined;
  const version = osVersion(os);
  if (!f?.cpe || version === undefined) return undefined;
  return `cpe:2.3:o:${f.cpe}:${version}:*:*:*:*:*:*:*`;
}
