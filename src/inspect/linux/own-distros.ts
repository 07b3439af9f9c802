// os-release IDs libguestfs has no distro name for, where its answer would be wrong or empty
// and the ID_LIKE fallback (distro.ts step 3) would be misleading too: the ID has no ID_LIKE
// (openEuler, Photon OS, Container-Optimized OS, NixOS), an ID_LIKE that names the wrong family
// (Oracle Linux says "fedora"), or version numbers of its own that the parent's name would
// misread (Amazon Linux 2 and 2023, TencentOS 3, OpenCloudOS 9, elementary OS 7, Zorin OS 17).
// Each gets a distro name of its own, spelled as libguestfs spells distros (lower case, no
// punctuation) — oraclelinux is libguestfs's own name, which it reaches through
// /etc/oracle-release; the rest are joot's. Derivatives that keep their parent's versions
// (AlmaLinux and Anolis → rhel, Pop!_OS and KDE neon → ubuntu, Raspberry Pi OS → debian) stay
// with the ID_LIKE rule, and osinfo.ts gives them their own libosinfo id where there is one.

export interface OwnDistro {
  /** the distro name reported */
  distro: string;
  /** libguestfs reads a release file for this distro: when it gives this distro, its answer
   *  (product name, version) is taken, as libguestfs would */
  releaseFileFirst?: boolean;
}

const OWN: Readonly<Record<string, OwnDistro>> = {
  ol: { distro: 'oraclelinux', releaseFileFirst: true },
  amzn: { distro: 'amazonlinux' },
  cos: { distro: 'cos' },
  photon: { distro: 'photon' },
  openEuler: { distro: 'openeuler' },
  openeuler: { distro: 'openeuler' },
  opencloudos: { distro: 'opencloudos' },
  tencentos: { distro: 'tencentos' },
  nixos: { distro: 'nixos' },
  elementary: { distro: 'elementary' },
  zorin: { distro: 'zorin' },
};

/** joot's distro for an os-release ID libguestfs does not know, or undefined. */
export function ownDistroOf(id: string): OwnDistro | undefined {
  return Object.hasOwn(OWN, id) ? OWN[id] : undefined;
}
