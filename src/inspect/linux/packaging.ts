// package_format and package_management from the distro and major version, as libguestfs
// decides them (daemon/inspect_fs.ml check_package_format / check_package_management).

import type { GuestFiles } from '../types.js';

const FORMAT: Readonly<Record<string, string>> = {
  altlinux: 'rpm',
  centos: 'rpm',
  circle: 'rpm',
  rocky: 'rpm',
  fedora: 'rpm',
  mageia: 'rpm',
  mandriva: 'rpm',
  meego: 'rpm',
  neokylin: 'rpm',
  openmandriva: 'rpm',
  opensuse: 'rpm',
  oraclelinux: 'rpm',
  'redhat-based': 'rpm',
  rhel: 'rpm',
  scientificlinux: 'rpm',
  sles: 'rpm',
  'suse-based': 'rpm',
  // joot's names for distros libguestfs does not know (own-distros.ts)
  amazonlinux: 'rpm',
  opencloudos: 'rpm',
  openeuler: 'rpm',
  photon: 'rpm',
  tencentos: 'rpm',
  elementary: 'deb',
  zorin: 'deb',
  debian: 'deb',
  kalilinux: 'deb',
  kylin: 'deb', // "supposedly another Ubuntu derivative"
  linuxmint: 'deb',
  ubuntu: 'deb',
  archlinux: 'pacman',
  gentoo: 'ebuild',
  pardus: 'pisi',
  alpinelinux: 'apk',
  voidlinux: 'xbps',
  // buildroot, cirros, coreos, frugalware, pldlinux, slackware, ttylinux, BSDs, DOS, Windows:
  // none.
};

/** package_format for a distro, or undefined (libguestfs check_package_format). */
export function packageFormatOf(distro: string | undefined): string | undefined {
  if (distro === undefined || !Object.hasOwn(FORMAT, distro)) return undefined;
  return FORMAT[distro];
}

/**
 * package_management for a distro and major version, or undefined. `hasDnf` tells whether
 * /usr/bin/dnf is a file in the guest: libguestfs asks only for Fedora (>= 22 and dnf → dnf,
 * else yum).
 */
export function packageManagementOf(distro: string | undefined, major: number, hasDnf: boolean): string | undefined {
  switch (distro) {
    case 'meego':
      return 'yum';
    case 'fedora':
      if (major >= 22 && hasDnf) return 'dnf';
      // major 0: the release file could not be parsed (RHBZ#1332025)
      return major >= 1 ? 'yum' : undefined;
    case 'neokylin': // said to be a Fedora derivative
    case 'openmandriva':
      return 'dnf';
    case 'centos':
    case 'circle':
    case 'rocky':
    case 'oraclelinux':
    case 'redhat-based':
    case 'rhel':
    case 'scientificlinux':
      if (major >= 8) return 'dnf';
      if (major >= 5) return 'yum';
      if (major >= 2) return 'up2date';
      return undefined;
    // joot's names (own-distros.ts): Amazon Linux 2 has yum, 2023 dnf; TencentOS 2 is EL7
    // (yum), 3 and later EL8+ (dnf); Photon OS has its own tdnf
    case 'amazonlinux':
      return major >= 2022 ? 'dnf' : major >= 1 ? 'yum' : undefined;
    case 'tencentos':
      return major >= 3 ? 'dnf' : major >= 1 ? 'yum' : undefined;
    case 'opencloudos':
    case 'openeuler':
      return 'dnf';
    case 'photon':
      return 'tdnf';
    case 'elementary':
    case 'zorin':
    case 'altlinux':
    case 'debian':
    case 'kalilinux':
    case 'kylin':
    case 'linuxmint':
    case 'ubuntu':
      return 'apt';
    case 'archlinux':
      return 'pacman';
    case 'gentoo':
      return 'portage';
    case 'pardus':
      return 'pisi';
    case 'mageia':
    case 'mandriva':
      return 'urpmi';
    case 'opensuse':
    case 'sles':
    case 'suse-based':
      return 'zypper';
    case 'alpinelinux':
      return 'apk';
    case 'voidlinux':
      return 'xbps';
    default:
      return undefined;
  }
}

export interface Packaging {
  package_format?: string;
  package_management?: string;
}

/** Both fields for a Linux root mounted as "/" (reads the guest only for Fedora's dnf check). */
export async function detectPackaging(files: GuestFiles, distro: string | undefined, major: number): Promise<Packaging> {
  const out: Packaging = {};
  const format = packageFormatOf(distro);
  if (format !== undefined) out.package_format = format;
  let hasDnf = false;
  if (distro === 'fedora' && major >= 22) {
    hasDnf = await files.isFile('/usr/bin/dnf').catch(() => false);
  }
  const mgmt = packageManagementOf(distro, major, hasDnf);
  if (mgmt !== undefined) out.package_management = mgmt;
  return out;
}
