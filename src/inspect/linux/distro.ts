// Which Linux distribution a root filesystem holds, combining os-release, lsb-release and the
// release files in libguestfs's order of precedence (daemon/inspect_fs_unix.ml):
//
//   1. os-release, when its ID is one libguestfs knows and it gives PRETTY_NAME and a version
//      (Debian/CentOS/Rocky with a bare major VERSION_ID fall through, for the full version;
//      the rolling Arch/Gentoo/Void without VERSION_ID are 0.0);
//   2. lsb-release, when it has DISTRIB_ID or DISTRIB_DESCRIPTION (Ubuntu, Mint, Mageia, CoreOS);
//   3. joot's addition: an os-release ID libguestfs does not know is either one with a name of
//      its own here (own-distros.ts: Oracle Linux, Amazon Linux, openEuler, Photon OS, …, with
//      PRETTY_NAME, VERSION_ID and BUILD_ID), or falls back to the first ID_LIKE entry it does (KDE neon, ID_LIKE="ubuntu debian" → ubuntu), with PRETTY_NAME and
//      VERSION_ID; libguestfs would say "unknown" (or "redhat-based", "debian" from the
//      release files) there;
//   4. the release files (release-files.ts).
// Whatever a step leaves in the shared data stays when later steps do not override it, as in
// libguestfs (e.g. Debian: PRETTY_NAME is replaced by the contents of /etc/debian_version).

import type { GuestFiles } from '../types.js';
import { osinfoOf } from '../osinfo.js';
import { detectArch } from './arch.js';
import { detectHostname } from './hostname.js';
import { detectPackaging } from './packaging.js';
import { readLsbRelease, distroOfLsbDistribId } from './lsb-release.js';
import { distroOfOsReleaseId, idLikeOf, readOsRelease } from './os-release.js';
import { ownDistroOf } from './own-distros.js';
import { checkReleaseFiles, parseVersionFromMajorMinor, ReleaseFileCache, toInt, type DistroData } from './release-files.js';

export interface LinuxDistro {
  /** virt-inspector's distro name; "unknown" when nothing identified it */
  distro: string;
  product_name?: string;
  major_version: number;
  minor_version: number;
  /** os-release BUILD_ID */
  build_id?: string;
  /** os-release ID as written (e.g. "almalinux", "opensuse-tumbleweed"): lets osinfo refine */
  os_release_id?: string;
  /** how the distro was decided: os-release | lsb-release | id-like | release-file | none */
  source: 'os-release' | 'lsb-release' | 'id-like' | 'release-file' | 'none';
  warnings: string[];
}

/** Distros without versions: no VERSION_ID is normal and means 0.0. */
export const ROLLING_DISTROS: ReadonlySet<string> = new Set(['archlinux', 'gentoo', 'voidlinux']);

/** Distros whose os-release VERSION_ID is only the major number: the release file has more. */
const MAJOR_ONLY_OS_RELEASE: ReadonlySet<string> = new Set(['debian', 'centos', 'circle', 'rocky']);

const reNeoKylinVersion = /^V([0-9]+)Update([0-9]+)$/;

/** VERSION_ID → [major, minor]; NeoKylin writes "V7Update6" (RHBZ#1476081). */
export function parseVersionId(value: string): [number, number] | undefined {
  const m = reNeoKylinVersion.exec(value);
  if (m) {
    const major = toInt(m[1]);
    const minor = toInt(m[2]);
    return major !== undefined && minor !== undefined ? [major, minor] : undefined;
  }
  return parseVersionFromMajorMinor(value);
}

/** libguestfs parse_os_release: fills data, true when os-release alone decides. */
export function applyOsRelease(fields: Record<string, string>, data: DistroData): boolean {
  const id = fields['ID'];
  if (id !== undefined) {
    const d = distroOfOsReleaseId(id);
    if (d) data.distro = d;
  }
  const pretty = fields['PRETTY_NAME'];
  if (pretty !== undefined) data.product_name = pretty;
  const vid = fields['VERSION_ID'];
  if (vid !== undefined) {
    const v = parseVersionId(vid);
    if (v) data.version = v;
  }
  const build = fields['BUILD_ID'];
  if (build !== undefined) data.build_id = build;

  if (data.distro === undefined || data.product_name === undefined) return false;
  if (MAJOR_ONLY_OS_RELEASE.has(data.distro) && data.version && data.version[1] === 0) return false;
  if (data.version === undefined) {
    if (ROLLING_DISTROS.has(data.distro)) {
      data.version = [0, 0];
      return true;
    }
    return false;
  }
  return true;
}

/** libguestfs parse_lsb_release: true when DISTRIB_ID is known or DISTRIB_DESCRIPTION exists. */
export function applyLsbRelease(fields: Record<string, string>, data: DistroData): boolean {
  let ok = false;
  const id = fields['DISTRIB_ID'];
  if (id !== undefined) {
    const d = distroOfLsbDistribId(id);
    if (d) {
      data.distro = d;
      ok = true;
    }
  }
  const rel = fields['DISTRIB_RELEASE'];
  if (rel !== undefined) {
    const v = parseVersionFromMajorMinor(rel);
    if (v) data.version = v;
  }
  const desc = fields['DISTRIB_DESCRIPTION'];
  if (desc !== undefined) {
    data.product_name = desc;
    ok = true;
  }
  return ok;
}

/** The first ID_LIKE entry libguestfs knows, as a distro name. */
export function idLikeDistro(fields: Record<string, string>): string | undefined {
  for (const like of idLikeOf(fields)) {
    const d = distroOfOsReleaseId(like);
    if (d) return d;
  }
  return undefined;
}

/** Step 3: the os-release data of a derivative, under its ID_LIKE parent's name. */
async function applyIdLike(fields: Record<string, string>, distro: string, cache: ReleaseFileCache): Promise<DistroData> {
  const out: DistroData = { distro };
  const name = fields['PRETTY_NAME'] ?? fields['NAME'];
  if (name !== undefined) out.product_name = name;
  if (fields['BUILD_ID'] !== undefined) out.build_id = fields['BUILD_ID'];
  const vid = fields['VERSION_ID'];
  out.version = vid !== undefined ? parseVersionId(vid) : undefined;
  // The same reasons as step 1 for asking the release files: no version, or only a major.
  if (out.version === undefined || (MAJOR_ONLY_OS_RELEASE.has(distro) && out.version[1] === 0)) {
    const scratch: DistroData = {};
    await checkReleaseFiles(cache, scratch);
    if (scratch.distro === distro && scratch.version) out.version = scratch.version;
  }
  if (out.version === undefined && ROLLING_DISTROS.has(distro)) out.version = [0, 0];
  return out;
}

/** Identify the Linux distribution of a root filesystem mounted as "/". Never throws for
 *  guest content; problems reading files become warnings. */
export async function detectLinuxDistro(files: GuestFiles): Promise<LinuxDistro> {
  const warnings: string[] = [];
  const cache = new ReleaseFileCache(files, warnings);
  let data: DistroData = {};
  let source: LinuxDistro['source'] = 'none';

  const osr = await readOsRelease(files, warnings);
  const osId = osr?.fields['ID'];
  const idUnknown = osId !== undefined && distroOfOsReleaseId(osId) === undefined;

  let done = osr ? applyOsRelease(osr.fields, data) : false;
  if (done) source = 'os-release';

  if (!done) {
    const lsb = await readLsbRelease(files, warnings);
    if (lsb && applyLsbRelease(lsb, data)) {
      done = true;
      source = 'lsb-release';
    }
  }

  // Step 3: only where libguestfs would end without a distro (or fall to the release files).
  if (osr && idUnknown && (!done || data.distro === undefined)) {
    const own = ownDistroOf(osId ?? '');
    const like = own ? undefined : idLikeDistro(osr.fields);
    if (own) {
      const scratch: DistroData = {};
      if (own.releaseFileFirst && (await checkReleaseFiles(cache, scratch)) && scratch.distro === own.distro) {
        data = scratch;
        source = 'release-file';
      } else {
        data = await applyIdLike(osr.fields, own.distro, cache);
        source = 'id-like';
      }
      done = true;
    } else if (like) {
      data = await applyIdLike(osr.fields, like, cache);
      done = true;
      source = 'id-like';
    }
  }

  if (!done && (await checkReleaseFiles(cache, data))) source = 'release-file';
  if (source === 'none' && data.distro !== undefined) source = osr ? 'os-release' : 'release-file';

  const result: LinuxDistro = {
    distro: data.distro ?? 'unknown',
    major_version: data.version?.[0] ?? 0,
    minor_version: data.version?.[1] ?? 0,
    source,
    warnings,
  };
  if (data.product_name !== undefined && data.product_name !== '') result.product_name = data.product_name;
  if (data.build_id !== undefined && data.build_id !== '') result.build_id = data.build_id;
  if (osId !== undefined && osId !== '') result.os_release_id = osId;
  return result;
}

/** The Linux facts of an OperatingSystem entry (virt-inspector's fields). */
export interface LinuxFacts {
  distro: string;
  product_name?: string;
  major_version: number;
  minor_version: number;
  build_id?: string;
  arch?: string;
  hostname?: string;
  package_format?: string;
  package_management?: string;
  osinfo: string;
}

/**
 * Everything about a Linux root mounted as "/" that is not fstab or packages: distro and
 * version, arch, hostname, package format/management and the libosinfo id. Problems reading
 * guest files are pushed to `warnings`; never throws for guest content.
 */
export async function linuxFacts(files: GuestFiles, warnings: string[] = []): Promise<LinuxFacts> {
  const d = await detectLinuxDistro(files);
  warnings.push(...d.warnings);
  const [arch, hostname, packaging] = await Promise.all([
    detectArch(files),
    detectHostname(files, warnings),
    detectPackaging(files, d.distro === 'unknown' ? undefined : d.distro, d.major_version),
  ]);
  const facts: LinuxFacts = {
    distro: d.distro,
    major_version: d.major_version,
    minor_version: d.minor_version,
    osinfo: osinfoOf({
      name: 'linux',
      distro: d.distro,
      major_version: d.major_version,
      minor_version: d.minor_version,
      product_name: d.product_name,
      os_release_id: d.os_release_id,
    }),
  };
  if (d.product_name !== undefined) facts.product_name = d.product_name;
  if (d.build_id !== undefined) facts.build_id = d.build_id;
  if (arch !== undefined) facts.arch = arch;
  if (hostname !== undefined) facts.hostname = hostname;
  if (packaging.package_format !== undefined) facts.package_format = packaging.package_format;
  if (packaging.package_management !== undefined) facts.package_management = packaging.package_management;
  return facts;
}
