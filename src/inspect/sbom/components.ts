// The format-neutral list both SBOM writers walk: every OS of the report with its
// applications, each with its purl and a reference unique in the document.
import type { Application, OperatingSystem } from '../types.js';
import { applicationPurl, purlString, sourcePurl } from './purl.js';
import { osCpe, osName, osVersion } from './os-identity.js';
import { type SbomLicense, type SpdxLists, sbomLicense } from './license.js';

export interface SbomPackage {
  /** unique in the document */
  ref: string;
  app: Application;
  name: string;
  version?: string;
  purl?: string;
  license?: SbomLicense;
}

/** A source package the database names (dpkg's Source, apk's origin), with what was built from it. */
export interface SbomSource {
  name: string;
  purl?: string;
  binaries: SbomPackage[];
}

export interface SbomOs {
  ref: string;
  os: OperatingSystem;
  name: string;
  version?: string;
  cpe?: string;
  packages: SbomPackage[];
  /** in the order of their first binary */
  sources: SbomSource[];
}

function sourcesOf(packages: readonly SbomPackage[], os: OperatingSystem): SbomSource[] {
  const byName = new Map<string, SbomSource>();
  for (const p of packages) {
    const name = p.app.source_package;
    if (!name) continue;
    let s = byName.get(name);
    if (!s) {
      const purl = sourcePurl(name, os);
      s = { name, purl: purl ? purlString(purl) : undefined, binaries: [] };
      byName.set(name, s);
    }
    s.binaries.push(p);
  }
  return [...byName.values()];
}

/** The version as the package manager shows it ("1:2.38.1-5+deb12u3", "3.4.3-r2"). */
function displayVersion(app: Application, os: OperatingSystem): string | undefined {
  if (os.package_format === undefined) return app.version || undefined;
  const epoch = app.epoch > 0 ? `${app.epoch}:` : '';
  const rel = app.release ? `${os.package_format === 'apk' ? '-r' : '-'}${app.release}` : '';
  return `${epoch}${app.version}${rel}` || undefined;
}

/** `spdx`: the SPDX lists (license.ts), for each package's license. */
export function sbomOses(oses: readonly OperatingSystem[], spdx: SpdxLists): SbomOs[] {
  const used = new Set<string>();
  const unique = (base: string): string => {
    let ref = base;
    for (let n = 2; used.has(ref); n++) ref = `${base}#${n}`;
    used.add(ref);
    return ref;
  };
  return oses.map((os, i) => {
    const packages = (os.applications ?? []).map((app): SbomPackage => {
      const p = applicationPurl(app, os);
      const purl = p ? purlString(p) : undefined;
      return {
        ref: unique(purl ?? `app:${i}:${app.name}`),
        app,
        name: (os.package_format === undefined && app.display_name) || app.name,
        version: displayVersion(app, os),
        purl,
        license: sbomLicense(app.license, spdx),
      };
    });
    return {
      ref: unique(`os:${i}:${os.root}`),
      os,
      name: osName(os),
      version: osVersion(os),
      cpe: osCpe(os),
      packages,
      sources: sourcesOf(packages, os),
    };
  });
}
