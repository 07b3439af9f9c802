// The distro release files libguestfs knows (daemon/inspect_fs_unix.ml linux_root_tests),
// in its order and with its version regexes, plus two files it lacks (appended at the end,
// so they only decide when libguestfs's list finds nothing).
//
// The model is libguestfs's: one mutable DistroData that every parser may change, tests run
// in order, a parser returning true ends the search. Parsers mutate even when they return
// false (parse_generic sets distro and product_name before trying its regex), and those
// leftovers stay if nothing later overrides them; this is kept on purpose for fidelity.

import type { GuestFiles } from '../types.js';
import { readSmallText, splitLines } from './os-release.js';

export interface DistroData {
  distro?: string;
  product_name?: string;
  /** [major, minor] */
  version?: [number, number];
  build_id?: string;
}

/** Regexes run on at most this many characters of a line: real release lines are short and
 *  patterns with two `.*` would be cubic on a hostile 64 KiB line. */
const REGEX_INPUT_MAX = 256;

function clip(s: string): string {
  return s.length > REGEX_INPUT_MAX ? s.slice(0, REGEX_INPUT_MAX) : s;
}

/** A decimal string as a safe integer, else undefined (libguestfs: int_of_string failure). */
export function toInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n <= 0x7fffffff ? n : undefined;
}

/**
 * libguestfs parse_version_from_major_minor: the first "N.M" anywhere in the string, else the
 * first "N" (minor 0), else undefined. "Ubuntu 10.04.1 LTS" → [10, 4]; "trixie/sid" → undefined.
 */
export function parseVersionFromMajorMinor(str: string): [number, number] | undefined {
  const s = clip(str);
  let m = /([0-9]+)\.([0-9]+)/.exec(s);
  if (m) {
    const major = toInt(m[1]);
    const minor = toInt(m[2]);
    return major !== undefined && minor !== undefined ? [major, minor] : undefined;
  }
  m = /([0-9]+)/.exec(s);
  if (m) {
    const major = toInt(m[1]);
    return major !== undefined ? [major, 0] : undefined;
  }
  return undefined;
}

/** Reads each release file once per detection run (redhat-release is tested a dozen times). */
export class ReleaseFileCache {
  private readonly cache = new Map<string, Promise<string[] | undefined>>();
  constructor(
    readonly files: GuestFiles,
    readonly warnings: string[] = [],
  ) {}

  /** The file's lines, or undefined when it is missing / not a regular file / unreadable. */
  lines(path: string): Promise<string[] | undefined> {
    let p = this.cache.get(path);
    if (!p) {
      p = readSmallText(this.files, path, this.warnings).then((t) => (t === undefined ? undefined : splitLines(t)));
      this.cache.set(path, p);
    }
    return p;
  }

  /** First line, NULs removed ("" for an empty file); undefined when there is no such file. */
  async firstLine(path: string): Promise<string | undefined> {
    const lines = await this.lines(path);
    if (lines === undefined) return undefined;
    return (lines[0] ?? '').replace(/\0/g, '');
  }
}

type Parser = (cache: ReleaseFileCache, path: string, data: DistroData) => Promise<boolean>;

export interface ReleaseTest {
  path: string;
  parse: Parser;
}

/**
 * libguestfs parse_generic: product_name = first line (empty → not parsed), distro fixed.
 * With a regex it must match (groups 1 and 2 give major and minor); without one, a version is
 * looked for but not required.
 */
function generic(distro: string, rex?: RegExp): Parser {
  return async (cache, path, data) => {
    const first = await cache.firstLine(path);
    if (first === undefined || first === '') return false;
    data.product_name = first;
    data.distro = distro;
    if (rex) {
      const m = rex.exec(clip(first));
      if (!m) return false;
      const major = toInt(m[1]);
      const minor = toInt(m[2]);
      if (major !== undefined) data.version = [major, minor ?? 0];
      return true;
    }
    const v = parseVersionFromMajorMinor(first);
    if (v) data.version = v;
    return true;
  };
}

/** Always succeeds and sets only the distro (arch-release is empty; fallbacks). */
function fixed(distro: string): Parser {
  return async (_cache, _path, data) => {
    data.distro = distro;
    return true;
  };
}

const reSles = /^SUSE (Linux|LINUX) Enterprise /;
const reNld = /^Novell Linux Desktop /;
const reOpensuse = /^(openSUSE|SuSE Linux|SUSE LINUX) /;
const reSlesVersion = /^VERSION = ([0-9]+)/;
const reSlesPatchlevel = /^PATCHLEVEL = ([0-9]+)/;

/** libguestfs parse_suse_release: line 1 product, SLES/NLD lines 2–3 VERSION / PATCHLEVEL. */
const parseSuseRelease: Parser = async (cache, path, data) => {
  const lines = await cache.lines(path);
  if (lines === undefined || lines.length === 0) return false;
  const product = lines[0]!.replace(/\0/g, '');
  data.product_name = product;
  const p = clip(product);
  if (reSles.test(p) || reNld.test(p)) {
    const vm = lines.length >= 2 ? reSlesVersion.exec(clip(lines[1]!)) : null;
    const pm = lines.length >= 3 ? reSlesPatchlevel.exec(clip(lines[2]!)) : null;
    const major = vm ? toInt(vm[1]) : undefined;
    const minor = pm ? toInt(pm[1]) : undefined;
    data.distro = 'sles';
    data.version = major !== undefined ? [major, minor ?? 0] : undefined;
  } else if (reOpensuse.test(p)) {
    if (lines.length >= 2) {
      const v = parseVersionFromMajorMinor(lines[1]!);
      if (v) data.version = v;
    }
    data.distro = 'opensuse';
  }
  return true;
};

/** /etc/br-version (YYYY.MM…): CirrOS when /usr/share/cirros/logo exists, else Buildroot. */
const parseBrVersion: Parser = async (cache, path, data) => {
  const cirros = await cache.files.isFile('/usr/share/cirros/logo').catch(() => false);
  return generic(cirros ? 'cirros' : 'buildroot')(cache, path, data);
};

// libguestfs's version regexes (PCRE.matches: unanchored search).
const reFedora = /Fedora release ([0-9]+)/;
const reRhelOld = /Red Hat.*release ([0-9]+).*Update ([0-9]+)/;
const reRhel = /Red Hat.*release ([0-9]+)\.([0-9]+)/;
const reRhelNoMinor = /Red Hat.*release ([0-9]+)/;
const reCentosOld = /CentOS.*release ([0-9]+).*Update ([0-9]+)/;
const reCentos = /CentOS.*release ([0-9]+)\.([0-9]+)/;
const reCentosNoMinor = /CentOS.*release ([0-9]+)/;
const reCircle = /Circle Linux.*release ([0-9]+)\.([0-9]+)/;
const reCircleNoMinor = /Circle Linux.*release ([0-9]+)/;
const reRocky = /Rocky Linux.*release ([0-9]+)\.([0-9]+)/;
const reRockyNoMinor = /Rocky Linux.*release ([0-9]+)/;
const reScientificOld = /Scientific Linux.*release ([0-9]+).*Update ([0-9]+)/;
const reScientific = /Scientific Linux.*release ([0-9]+)\.([0-9]+)/;
const reScientificNoMinor = /Scientific Linux.*release ([0-9]+)/;
const reOracleOld = /Oracle Linux.*release ([0-9]+).*Update ([0-9]+)/;
const reOracle = /Oracle Linux.*release ([0-9]+)\.([0-9]+)/;
const reOracleNoMinor = /Oracle Linux.*release ([0-9]+)/;
const reFrugalware = /Frugalware ([0-9]+)\.([0-9]+)/;
const rePldLinux = /([0-9]+)\.([0-9]+) PLD Linux/;
const reOpenMandriva = /OpenMandriva.*release ([0-9]+)\.([0-9]+)\.?([0-9]+)? .*/;

/** The release-file tests after os-release and lsb-release, in libguestfs's order. */
export const RELEASE_FILE_TESTS: readonly ReleaseTest[] = [
  // OpenMandriva ships a redhat-release symlink: checked before the Red Hat family.
  { path: '/etc/openmandriva-release', parse: generic('openmandriva', reOpenMandriva) },
  // RHEL rebuilds also have redhat-release: their own files first.
  { path: '/etc/oracle-release', parse: generic('oraclelinux', reOracleOld) },
  { path: '/etc/oracle-release', parse: generic('oraclelinux', reOracle) },
  { path: '/etc/oracle-release', parse: generic('oraclelinux', reOracleNoMinor) },
  { path: '/etc/centos-release', parse: generic('centos', reCentosOld) },
  { path: '/etc/centos-release', parse: generic('centos', reCentos) },
  { path: '/etc/centos-release', parse: generic('centos', reCentosNoMinor) },
  { path: '/etc/circle-release', parse: generic('circle', reCircle) }, // libguestfs >= 1.52
  { path: '/etc/circle-release', parse: generic('circle', reCircleNoMinor) },
  { path: '/etc/rocky-release', parse: generic('rocky', reRocky) },
  { path: '/etc/rocky-release', parse: generic('rocky', reRockyNoMinor) },
  { path: '/etc/altlinux-release', parse: generic('altlinux') },
  { path: '/etc/redhat-release', parse: generic('fedora', reFedora) },
  { path: '/etc/redhat-release', parse: generic('rhel', reRhelOld) },
  { path: '/etc/redhat-release', parse: generic('rhel', reRhel) },
  { path: '/etc/redhat-release', parse: generic('rhel', reRhelNoMinor) },
  { path: '/etc/redhat-release', parse: generic('centos', reCentosOld) },
  { path: '/etc/redhat-release', parse: generic('centos', reCentos) },
  { path: '/etc/redhat-release', parse: generic('centos', reCentosNoMinor) },
  { path: '/etc/redhat-release', parse: generic('rocky', reRocky) },
  { path: '/etc/redhat-release', parse: generic('rocky', reRockyNoMinor) },
  { path: '/etc/redhat-release', parse: generic('scientificlinux', reScientificOld) },
  { path: '/etc/redhat-release', parse: generic('scientificlinux', reScientific) },
  { path: '/etc/redhat-release', parse: generic('scientificlinux', reScientificNoMinor) },
  // A redhat-release nothing above matched: a generic Red Hat-based distro.
  { path: '/etc/redhat-release', parse: generic('redhat-based') },
  { path: '/etc/redhat-release', parse: fixed('redhat-based') },
  { path: '/etc/debian_version', parse: generic('debian') },
  { path: '/etc/pardus-release', parse: generic('pardus') },
  // arch-release is empty: no product name or version in it.
  { path: '/etc/arch-release', parse: fixed('archlinux') },
  { path: '/etc/gentoo-release', parse: generic('gentoo') },
  { path: '/etc/meego-release', parse: generic('meego') },
  { path: '/etc/slackware-version', parse: generic('slackware') },
  { path: '/etc/ttylinux-target', parse: generic('ttylinux') },
  { path: '/etc/SuSE-release', parse: parseSuseRelease },
  { path: '/etc/SuSE-release', parse: fixed('suse-based') },
  { path: '/etc/cirros/version', parse: generic('cirros') },
  { path: '/etc/br-version', parse: parseBrVersion },
  { path: '/etc/alpine-release', parse: generic('alpinelinux') },
  { path: '/etc/frugalware-release', parse: generic('frugalware', reFrugalware) },
  { path: '/etc/pld-release', parse: generic('pldlinux', rePldLinux) },
  // Not in libguestfs (joot additions, last so they never override its answers):
  { path: '/etc/mageia-release', parse: generic('mageia') },
  { path: '/etc/mandriva-release', parse: generic('mandriva') },
];

/**
 * Run the release-file tests in order: a test whose file exists runs its parser; the first
 * parser returning true ends the search. Returns whether one did.
 */
export async function checkReleaseFiles(
  cache: ReleaseFileCache,
  data: DistroData,
  tests: readonly ReleaseTest[] = RELEASE_FILE_TESTS,
): Promise<boolean> {
  for (const t of tests) {
    if ((await cache.lines(t.path)) === undefined) continue;
    if (await t.parse(cache, t.path, data)) return true;
  }
  return false;
}
