// Guest trees for the Linux inspection unit tests: real release files of common
// distributions, and a builder that writes a tree into a temp dir (read back through
// GuestReader). Not a test file itself.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';

export type Entry = string | Buffer | { symlink: string };
export type Tree = Record<string, Entry>;

/** A minimal ELF header: class (1/2), data (1 LSB / 2 MSB), e_machine. */
export function elfHeader(cls: 1 | 2, data: 1 | 2, machine: number, size = 64): Buffer {
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1], 0);
  if (data === 1) {
    b.writeUInt16LE(2, 16); // ET_EXEC
    b.writeUInt16LE(machine, 18);
  } else {
    b.writeUInt16BE(2, 16);
    b.writeUInt16BE(machine, 18);
  }
  return b;
}

const X86_64_BIN = elfHeader(2, 1, 62, 4096);

/** Write `tree` under a new temp dir; returns the dir (the guest root). */
export async function makeTree(tree: Tree, prefix = 'joot-linux-'): Promise<string> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  for (const [p, e] of Object.entries(tree)) {
    const host = path.join(root, p);
    await fsp.mkdir(path.dirname(host), { recursive: true });
    if (typeof e === 'object' && !Buffer.isBuffer(e)) await fsp.symlink(e.symlink, host);
    else await fsp.writeFile(host, e);
  }
  return root;
}

export async function removeTree(root: string): Promise<void> {
  await fsp.rm(root, { recursive: true, force: true });
}

/** What every Linux root here has: /etc/fstab, /etc/hosts, a usr-merged /bin with an ELF. */
const base: Tree = {
  'etc/fstab': '# empty\n',
  'etc/hosts': '127.0.0.1 localhost\n',
  bin: { symlink: 'usr/bin' },
  sbin: { symlink: 'usr/sbin' },
  'usr/bin/bash': X86_64_BIN,
  'usr/bin/ls': X86_64_BIN,
  'usr/sbin/.keep': '',
};

export interface Case {
  name: string;
  tree: Tree;
  expect: {
    distro: string;
    product_name?: string;
    major: number;
    minor: number;
    osinfo: string;
    package_format?: string;
    package_management?: string;
    hostname?: string;
    build_id?: string;
  };
}

export const CASES: Case[] = [
  {
    name: 'debian 12',
    tree: {
      ...base,
      'usr/lib/os-release': `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/debian_version': '12.5\n',
      'etc/hostname': 'bookworm-vm\n',
    },
    // libguestfs: os-release's VERSION_ID is only "12", so debian_version decides — and
    // becomes the product name too.
    expect: {
      distro: 'debian',
      product_name: '12.5',
      major: 12,
      minor: 5,
      osinfo: 'debian12',
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'bookworm-vm',
    },
  },
  {
    name: 'debian testing (trixie/sid)',
    tree: {
      ...base,
      'etc/os-release': `PRETTY_NAME="Debian GNU/Linux trixie/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=trixie
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`,
      'etc/debian_version': 'trixie/sid\n',
    },
    expect: {
      distro: 'debian',
      product_name: 'trixie/sid',
      major: 0,
      minor: 0,
      osinfo: 'debiantesting',
      package_format: 'deb',
      package_management: 'apt',
    },
  },
  {
    name: 'ubuntu 22.04',
    tree: {
      ...base,
      'usr/lib/os-release': `PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/lsb-release': `DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=22.04
DISTRIB_CODENAME=jammy
DISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"
`,
      'etc/debian_version': 'bookworm/sid\n',
      'etc/hostname': 'jammy\n',
    },
    expect: {
      distro: 'ubuntu',
      product_name: 'Ubuntu 22.04.3 LTS',
      major: 22,
      minor: 4,
      osinfo: 'ubuntu22.04',
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'jammy',
    },
  },
  {
    name: 'ubuntu 24.04',
    tree: {
      ...base,
      'usr/lib/os-release': `PRETTY_NAME="Ubuntu 24.04 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/lsb-release': `DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=24.04
DISTRIB_CODENAME=noble
DISTRIB_DESCRIPTION="Ubuntu 24.04 LTS"
`,
      'etc/debian_version': 'trixie/sid\n',
      'etc/hostname': '# set by cloud-init\nnoble-server\n',
    },
    expect: {
      distro: 'ubuntu',
      product_name: 'Ubuntu 24.04 LTS',
      major: 24,
      minor: 4,
      osinfo: 'ubuntu24.04',
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'noble-server',
    },
  },
  {
    name: 'ubuntu 10.04 (lsb-release only)',
    tree: {
      ...base,
      'etc/lsb-release': `DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=10.04
DISTRIB_CODENAME=lucid
DISTRIB_DESCRIPTION="Ubuntu 10.04.4 LTS"
`,
      'etc/debian_version': 'squeeze/sid\n',
      'etc/hostname': 'lucid\n',
    },
    expect: {
      distro: 'ubuntu',
      product_name: 'Ubuntu 10.04.4 LTS',
      major: 10,
      minor: 4,
      osinfo: 'ubuntu10.04',
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'lucid',
    },
  },
  {
    name: 'fedora 39',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="Fedora Linux"
VERSION="39 (Server Edition)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Server Edition)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:39"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f39/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=39
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=39
SUPPORT_END=2024-11-12
VARIANT="Server Edition"
VARIANT_ID=server
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'usr/lib/fedora-release': 'Fedora release 39 (Thirty Nine)\n',
      'etc/fedora-release': { symlink: '../usr/lib/fedora-release' },
      'etc/redhat-release': { symlink: 'fedora-release' },
      'etc/system-release': { symlink: 'fedora-release' },
      'usr/bin/dnf-3': '#!/usr/bin/python3\n',
      'usr/bin/dnf': { symlink: 'dnf-3' },
      'etc/hostname': 'fedora39.example.org\n',
    },
    expect: {
      distro: 'fedora',
      product_name: 'Fedora Linux 39 (Server Edition)',
      major: 39,
      minor: 0,
      osinfo: 'fedora39',
      package_format: 'rpm',
      package_management: 'dnf',
      hostname: 'fedora39.example.org',
    },
  },
  {
    name: 'fedora 40 without /usr/bin/dnf',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="Fedora Linux"
VERSION="40 (Workstation Edition)"
ID=fedora
VERSION_ID=40
VERSION_CODENAME=""
PLATFORM_ID="platform:f40"
PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:40"
DEFAULT_HOSTNAME="fedora"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f40/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=40
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=40
SUPPORT_END=2025-05-13
VARIANT="Workstation Edition"
VARIANT_ID=workstation
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/redhat-release': 'Fedora release 40 (Forty)\n',
    },
    // libguestfs: Fedora >= 22 says dnf only when /usr/bin/dnf is a file.
    expect: {
      distro: 'fedora',
      product_name: 'Fedora Linux 40 (Workstation Edition)',
      major: 40,
      minor: 0,
      osinfo: 'fedora40',
      package_format: 'rpm',
      package_management: 'yum',
    },
  },
  {
    name: 'rhel 9.3',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
HOME_URL="https://www.redhat.com/"
DOCUMENTATION_URL="https://access.redhat.com/documentation/en-us/red_hat_enterprise_linux/9"
BUG_REPORT_URL="https://bugzilla.redhat.com/"

REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux 9"
REDHAT_BUGZILLA_PRODUCT_VERSION=9.3
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/redhat-release': 'Red Hat Enterprise Linux release 9.3 (Plow)\n',
      'etc/system-release': { symlink: 'redhat-release' },
      'etc/hostname': 'rhel9\n',
    },
    expect: {
      distro: 'rhel',
      product_name: 'Red Hat Enterprise Linux 9.3 (Plow)',
      major: 9,
      minor: 3,
      osinfo: 'rhel9.3',
      package_format: 'rpm',
      package_management: 'dnf',
      hostname: 'rhel9',
    },
  },
  {
    name: 'centos 7',
    tree: {
      ...base,
      'etc/os-release': `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`,
      'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      'etc/redhat-release': { symlink: 'centos-release' },
      'etc/system-release': { symlink: 'centos-release' },
      'etc/hostname': 'localhost.localdomain\n',
    },
    expect: {
      distro: 'centos',
      product_name: 'CentOS Linux release 7.9.2009 (Core)',
      major: 7,
      minor: 9,
      osinfo: 'centos7.0',
      package_format: 'rpm',
      package_management: 'yum',
      hostname: 'localhost.localdomain',
    },
  },
  {
    name: 'centos stream 9',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="CentOS Stream"
VERSION="9"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="9"
PLATFORM_ID="platform:el9"
PRETTY_NAME="CentOS Stream 9"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:centos:centos:9"
HOME_URL="https://centos.org/"
BUG_REPORT_URL="https://issues.redhat.com/"
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 9"
REDHAT_SUPPORT_PRODUCT_VERSION="CentOS Stream"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/centos-release': 'CentOS Stream release 9\n',
      'etc/redhat-release': { symlink: 'centos-release' },
    },
    expect: {
      distro: 'centos',
      product_name: 'CentOS Stream release 9',
      major: 9,
      minor: 0,
      osinfo: 'centos-stream9',
      package_format: 'rpm',
      package_management: 'dnf',
    },
  },
  {
    name: 'rocky 9',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/rocky-release': 'Rocky Linux release 9.3 (Blue Onyx)\n',
      'etc/redhat-release': { symlink: 'rocky-release' },
      'etc/hostname': 'rocky9\n',
    },
    expect: {
      distro: 'rocky',
      product_name: 'Rocky Linux 9.3 (Blue Onyx)',
      major: 9,
      minor: 3,
      osinfo: 'rocky9',
      package_format: 'rpm',
      package_management: 'dnf',
      hostname: 'rocky9',
    },
  },
  {
    name: 'almalinux 9 (ID_LIKE → rhel)',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="AlmaLinux"
VERSION="9.3 (Shamrock Pampas Cat)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.3 (Shamrock Pampas Cat)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-9"
ALMALINUX_MANTISBT_PROJECT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/almalinux-release': 'AlmaLinux release 9.3 (Shamrock Pampas Cat)\n',
      'etc/redhat-release': { symlink: 'almalinux-release' },
    },
    expect: {
      distro: 'rhel',
      product_name: 'AlmaLinux 9.3 (Shamrock Pampas Cat)',
      major: 9,
      minor: 3,
      osinfo: 'almalinux9',
      package_format: 'rpm',
      package_management: 'dnf',
    },
  },
  {
    name: 'opensuse leap 15.5',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Leap"
LOGO="distributor-logo-Leap"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/HOSTNAME': 'leap155\n',
      'etc/hostname': { symlink: 'HOSTNAME' },
    },
    expect: {
      distro: 'opensuse',
      product_name: 'openSUSE Leap 15.5',
      major: 15,
      minor: 5,
      osinfo: 'opensuse15.5',
      package_format: 'rpm',
      package_management: 'zypper',
      hostname: 'leap155',
    },
  },
  {
    name: 'sles 15 sp5',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
ID="sles"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:sles:15:sp5"
DOCUMENTATION_URL="https://documentation.suse.com/"
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/hostname': 'sles15sp5\n',
    },
    expect: {
      distro: 'sles',
      product_name: 'SUSE Linux Enterprise Server 15 SP5',
      major: 15,
      minor: 5,
      osinfo: 'sles15sp5',
      package_format: 'rpm',
      package_management: 'zypper',
      hostname: 'sles15sp5',
    },
  },
  {
    name: 'sles 11 sp4 (SuSE-release only)',
    tree: {
      ...base,
      'etc/SuSE-release': `SUSE Linux Enterprise Server 11 (x86_64)
VERSION = 11
PATCHLEVEL = 4
`,
      'etc/HOSTNAME': 'sles11.site\n',
    },
    expect: {
      distro: 'sles',
      product_name: 'SUSE Linux Enterprise Server 11 (x86_64)',
      major: 11,
      minor: 4,
      osinfo: 'sles11sp4',
      package_format: 'rpm',
      package_management: 'zypper',
      hostname: 'sles11.site',
    },
  },
  {
    name: 'alpine 3.19',
    tree: {
      'etc/fstab': '',
      'etc/hosts': '127.0.0.1 localhost\n',
      'bin/busybox': elfHeader(2, 1, 62, 1024),
      'bin/sh': { symlink: '/bin/busybox' },
      'bin/ls': { symlink: '/bin/busybox' },
      'etc/os-release': `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.0
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`,
      'etc/alpine-release': '3.19.0\n',
      'etc/hostname': 'alpine\n',
    },
    expect: {
      distro: 'alpinelinux',
      product_name: 'Alpine Linux v3.19',
      major: 3,
      minor: 19,
      osinfo: 'alpinelinux3.19',
      package_format: 'apk',
      package_management: 'apk',
      hostname: 'alpine',
    },
  },
  {
    name: 'arch linux (rolling)',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/arch-release': '',
      'etc/hostname': 'archlinux\n',
    },
    expect: {
      distro: 'archlinux',
      product_name: 'Arch Linux',
      major: 0,
      minor: 0,
      osinfo: 'archlinux',
      package_format: 'pacman',
      package_management: 'pacman',
      hostname: 'archlinux',
      build_id: 'rolling',
    },
  },
  {
    name: 'kde neon (ID_LIKE → ubuntu)',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="KDE neon"
VERSION="6.0"
ID=neon
ID_LIKE="ubuntu debian"
PRETTY_NAME="KDE neon 6.0"
VARIANT="User Edition"
VERSION_ID="22.04"
HOME_URL="https://neon.kde.org/"
SUPPORT_URL="https://neon.kde.org/"
BUG_REPORT_URL="https://bugs.kde.org/"
LOGO=start-here-kde-neon
PRIVACY_POLICY_URL="https://kde.org/privacypolicy/"
VERSION_CODENAME=jammy
UBUNTU_CODENAME=jammy
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/lsb-release': `DISTRIB_ID=neon
DISTRIB_RELEASE=22.04
DISTRIB_CODENAME=jammy
DISTRIB_DESCRIPTION="KDE neon 6.0"
`,
      'etc/debian_version': 'bookworm/sid\n',
      'etc/hostname': 'neon\n',
    },
    expect: {
      distro: 'ubuntu',
      product_name: 'KDE neon 6.0',
      major: 22,
      minor: 4,
      osinfo: 'ubuntu22.04',
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'neon',
    },
  },
  {
    name: 'linux mint 21.2',
    tree: {
      ...base,
      'usr/lib/os-release': `NAME="Linux Mint"
VERSION="21.2 (Victoria)"
ID=linuxmint
ID_LIKE="ubuntu debian"
PRETTY_NAME="Linux Mint 21.2"
VERSION_ID="21.2"
HOME_URL="https://www.linuxmint.com/"
SUPPORT_URL="https://forums.linuxmint.com/"
BUG_REPORT_URL="http://linuxmint-troubleshooting-guide.readthedocs.io/en/latest/"
PRIVACY_POLICY_URL="https://www.linuxmint.com/"
VERSION_CODENAME=victoria
UBUNTU_CODENAME=jammy
`,
      'etc/os-release': { symlink: '../usr/lib/os-release' },
      'etc/lsb-release': `DISTRIB_ID=LinuxMint
DISTRIB_RELEASE=21.2
DISTRIB_CODENAME=victoria
DISTRIB_DESCRIPTION="Linux Mint 21.2 Victoria"
`,
      'etc/debian_version': 'bookworm/sid\n',
      'etc/hostname': 'mint\n',
    },
    // libguestfs: os-release ID=linuxmint is unknown to it, lsb-release decides.
    expect: {
      distro: 'linuxmint',
      product_name: 'Linux Mint 21.2 Victoria',
      major: 21,
      minor: 2,
      osinfo: 'linuxmint21.2',
      package_format: 'deb',
      package_management: 'apt',
      hostname: 'mint',
    },
  },
  {
    name: 'rhel 5 (redhat-release only)',
    tree: {
      'etc/fstab': 'LABEL=/ / ext3 defaults 1 1\n',
      'bin/bash': elfHeader(2, 1, 62, 2048),
      'etc/redhat-release': 'Red Hat Enterprise Linux Server release 5.11 (Tikanga)\n',
      'etc/sysconfig/network': 'NETWORKING=yes\nNETWORKING_IPV6=no\nHOSTNAME="rhel5.example.com"\n',
    },
    expect: {
      distro: 'rhel',
      product_name: 'Red Hat Enterprise Linux Server release 5.11 (Tikanga)',
      major: 5,
      minor: 11,
      osinfo: 'rhel5.11',
      package_format: 'rpm',
      package_management: 'yum',
      hostname: 'rhel5.example.com',
    },
  },
  {
    name: 'rhel 4 (Update in redhat-release)',
    tree: {
      'etc/fstab': '',
      'bin/bash': elfHeader(1, 1, 3, 2048),
      'etc/redhat-release': 'Red Hat Enterprise Linux AS release 4 (Nahant Update 9)\n',
    },
    expect: {
      distro: 'rhel',
      product_name: 'Red Hat Enterprise Linux AS release 4 (Nahant Update 9)',
      major: 4,
      minor: 9,
      osinfo: 'rhel4.9',
      package_format: 'rpm',
      package_management: 'up2date',
    },
  },
  {
    name: 'unknown os-release ID without ID_LIKE',
    tree: {
      ...base,
      'etc/os-release': 'NAME="Homebrew OS"\nID=homebrew\nVERSION_ID=1.2\nPRETTY_NAME="Homebrew OS 1.2"\n',
    },
    // libguestfs keeps what os-release gave (product, version) without a distro.
    expect: { distro: 'unknown', product_name: 'Homebrew OS 1.2', major: 1, minor: 2, osinfo: 'unknown' },
  },
  {
    name: 'void linux',
    tree: {
      ...base,
      'etc/os-release': `NAME="Void"
ID="void"
PRETTY_NAME="Void Linux"
HOME_URL="https://voidlinux.org/"
DOCUMENTATION_URL="https://docs.voidlinux.org/"
LOGO="void-logo"
ANSI_COLOR="0;38;2;71;128;97"
DISTRIB_ID="void"
`,
    },
    expect: {
      distro: 'voidlinux',
      product_name: 'Void Linux',
      major: 0,
      minor: 0,
      osinfo: 'voidlinux',
      package_format: 'xbps',
      package_management: 'xbps',
    },
  },
];

/** A GuestReader over each tree written for it; the trees are removed after the file's tests. */
export function treeReaders(prefix?: string): (tree: Tree) => Promise<GuestReader> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await removeTree(d);
  });
  return async (tree) => {
    const dir = await makeTree(tree, prefix);
    dirs.push(dir);
    return new GuestReader(dir);
  };
}
