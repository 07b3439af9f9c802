// The libosinfo short id of an inspected OS ("osinfo" in virt-inspector's output), following
// libguestfs lib/inspect-osinfo.c; where that gives an id libosinfo does not have, the
// libosinfo id is used instead (each such rule says so). "unknown" when nothing fits.

export interface OsinfoInput {
  /** linux | windows | freebsd | netbsd | openbsd | dos | … */
  name: string;
  distro?: string;
  major_version: number;
  minor_version: number;
  product_name?: string;
  product_variant?: string;
  build_id?: string;
  /** os-release ID as written (from LinuxDistro), for derivatives detected by ID_LIKE */
  os_release_id?: string;
}

/** The libosinfo short id for any OS (dispatch on `name`). */
export function osinfoOf(os: OsinfoInput): string {
  const distro = os.distro ?? 'unknown';
  const major = os.major_version;
  const minor = os.minor_version;
  switch (os.name) {
    case 'linux':
      return osinfoLinux(distro, major, minor, { product_name: os.product_name, os_release_id: os.os_release_id });
    // BSDs: distro + major.minor.
    case 'freebsd':
    case 'netbsd':
    case 'openbsd':
      return `${distro}${major}.${minor}`;
    // MS-DOS: libosinfo knows only 6.22.
    case 'dos':
      return distro === 'msdos' ? 'msdos6.22' : 'unknown';
    case 'windows':
      return osinfoWindows(major, minor, os.build_id, os.product_variant, os.product_name);
    default:
      return 'unknown';
  }
}

/** The libosinfo short id of a Linux distro version. */
export function osinfoLinux(
  distro: string,
  major: number,
  minor: number,
  hints: { product_name?: string | undefined; os_release_id?: string | undefined } = {},
): string {
  const id = hints.os_release_id;
  const product = hints.product_name ?? '';
  // Derivatives that came out as their ID_LIKE parent but have their own libosinfo ids
  // (libguestfs has no name for them): AlmaLinux → almalinuxN (libosinfo: major only).
  if (id === 'almalinux' && distro === 'rhel' && major >= 8) return `almalinux${major}`;
  const mm = String(minor).padStart(2, '0');
  // Pop!_OS (→ ubuntu): libosinfo popos22.04; elementary OS and NixOS (joot's own names):
  // elementary7.1, nixos-23.11 (with the dash).
  if (id === 'pop' && distro === 'ubuntu' && major > 0) return `popos${major}.${mm}`;
  if (distro === 'elementary' && major > 0) return `elementary${major}.${minor}`;
  if (distro === 'nixos') return major > 0 ? `nixos-${major}.${mm}` : 'nixos-unknown';
  // openEuler writes its versions as year.month (22.03): kept two-digit.
  if (distro === 'openeuler' && major > 0) return `openeuler${major}.${mm}`;
  switch (distro) {
    case 'centos':
      // CentOS Stream: libosinfo centos-streamN (libguestfs says centosN, which libosinfo lacks for 9).
      if (major >= 8 && /\bStream\b/.test(product)) return `centos-stream${major}`;
      // CentOS >= 8: major only; 7: always "7.0"; 6: major.minor.
      if (major >= 8) return `centos${major}`;
      if (major === 7) return 'centos7.0';
      if (major === 6) return `centos${major}.${minor}`;
      break;
    case 'circle':
    case 'rocky':
      // Rocky (and Circle) >= 8: major only.
      if (major >= 8) return `${distro}${major}`;
      break;
    case 'debian':
      // Debian >= 4: major only.
      if (major >= 4) return `debian${major}`;
      // testing/unstable ("trixie/sid" in debian_version, version 0.0): libosinfo debiantesting
      // (libguestfs says unknown).
      if (major === 0 && minor === 0 && /\/sid$/.test(product)) return 'debiantesting';
      break;
    case 'fedora':
    case 'mageia':
      // Fedora, Mageia: major only.
      return `${distro}${major}`;
    case 'sles': {
      // SLES: sles15, sles15sp5; SLED (os-release ID sled, same distro name): sled15sp5.
      const kind = id === 'sled' ? 'sled' : 'sles';
      return minor === 0 ? `${kind}${major}` : `${kind}${major}sp${minor}`;
    }
    case 'ubuntu':
      // Ubuntu: major.two-digit-minor (ubuntu22.04).
      return `ubuntu${major}.${String(minor).padStart(2, '0')}`;
    case 'archlinux':
    case 'gentoo':
    case 'voidlinux':
      // Rolling: the distro name alone.
      return distro;
    case 'altlinux':
      // ALT >= 8: alt8.1; older: altlinux7.0.
      return major >= 8 ? `alt${major}.${minor}` : `altlinux${major}.${minor}`;
    case 'opensuse':
      // Tumbleweed: libosinfo opensusetumbleweed (libguestfs would print its date-like VERSION_ID).
      if (id === 'opensuse-tumbleweed') return 'opensusetumbleweed';
      // other rolling openSUSE (MicroOS): a date as the version matches no libosinfo id
      if (major >= 1000) return 'unknown';
      break;
    case 'oraclelinux':
      // Oracle Linux: libosinfo olM.m (libguestfs's generic rule gives oraclelinuxM.m, not in libosinfo).
      if (major > 0 || minor > 0) return `ol${major}.${minor}`;
      break;
    default:
      break;
  }
  // Generic: distro + major.minor when a version is known (rhel9.3, opensuse15.5, alpinelinux3.19).
  if (distro !== 'unknown' && (major > 0 || minor > 0)) return `${distro}${major}.${minor}`;
  return 'unknown';
}

/** CurrentBuildNumber as a number ("26100"), else undefined. */
function buildNumber(build: string | number | undefined): number | undefined {
  const n = typeof build === 'number' ? build : build !== undefined && /^[0-9]+$/.test(build.trim()) ? Number(build) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The libosinfo short id of a Windows version (libguestfs rules; the Windows inspection fills
 * in the arguments). `build` is CurrentBuildNumber, `variant` the product variant (Client /
 * Server), `productName` the ProductName (tells XP from 2003 and the server years apart).
 */
export function osinfoWindows(
  major: number,
  minor: number,
  build: string | number | undefined,
  variant: string | undefined,
  productName = '',
): string {
  const server = (variant ?? '').includes('Server');
  if (major === 5) {
    // 5.1 XP; 5.2 XP x64, 2003, 2003 R2.
    if (minor === 1) return 'winxp';
    if (minor === 2) {
      if (productName.includes('XP')) return 'winxp';
      if (productName.includes('R2')) return 'win2k3r2';
      return 'win2k3';
    }
  } else if (major === 6) {
    // 6.0 Vista / 2008, 6.1 7 / 2008 R2, 6.2 8 / 2012, 6.3 8.1 / 2012 R2.
    switch (minor) {
      case 0:
        return server ? 'win2k8' : 'winvista';
      case 1:
        return server ? 'win2k8r2' : 'win7';
      case 2:
        return server ? 'win2k12' : 'win8';
      case 3:
        return server ? 'win2k12r2' : 'win8.1';
      default:
        break;
    }
  } else if (major === 10 && minor === 0) {
    const n = buildNumber(build);
    if (server) {
      // Servers 2016–2025 all say 10.0: the year in the product name decides (libguestfs); a
      // product name without one falls back on the build (joot: 26100 is 2025, 20348 2022,
      // 17763 2019).
      if (productName.includes('2025')) return 'win2k25';
      if (productName.includes('2022')) return 'win2k22';
      if (productName.includes('2019')) return 'win2k19';
      if (productName.includes('2016')) return 'win2k16';
      if (n !== undefined && n >= 26100) return 'win2k25';
      if (n !== undefined && n >= 20348) return 'win2k22';
      if (n !== undefined && n >= 17763) return 'win2k19';
      return 'win2k16';
    }
    // Clients 10 and 11 both say 10.0 (and Windows 11's ProductName still says "Windows 10"):
    // build 22000 and later is Windows 11 — 24H2 is 26100, 25H2 26200, both plain win11 in
    // libosinfo, which has no id per feature update.
    if (n === undefined) return 'unknown';
    return n >= 22000 ? 'win11' : 'win10';
  }
  return 'unknown';
}
