// The format-neutral list both SBOM writers walk: every OS of the report with its
// applications, each with its purl and a reference unique in the document.
import type { Application, OperatingSystem } from '../types.js';
import { applicationPurl, purlString } from './purl.js';
import { osCpe, osName, osVersion } from './os-identity.js';
import { type SbomLicense, type SpdxIdLookup, sbomLicense } from './license.js';

export interface SbomPackage {
  /** unique in the document */
  ref: string;
  app: Application;
  name: string;
  version?: string;
  purl?: string;
  license?: SbomLicense;
}

export interface SbomOs {
  ref: string;
  os: OperatingSystem;
  name: string;
  version?: string;
  cpe?: string;
  packages: SbomPackage[];
}

/** The version as the package manager shows it ("1:2.38.1-5+deb12u3", "3.4.3-r2"). */
function displayVersion(app: Application, os: OperatingSystem): string | undefined {
  if (os.package_format === undefined) return app.version || undefined;
  const epoch = app.epoch > 0 ? `${app.epoch}:` : '';
  const rel = app.release ? `${os.package_format === 'apk' ? '-r' : '-'}${app.release}` : '';
  return `${epoch}${app.version}${rel}` || undefined;
}

/** `spdxId`: the SPDX license list (license.ts), for each package's license. */
export function sbomOses(oses: readonly OperatingSystem[], spdxId: SpdxIdLookup): SbomOs[] {
  const used = new Set<string>();
  const unique = (base: string): string => {
    let ref = base;
    for (let n = 2; used.has(ref); n++) ref = `${base}#${n}`;
    used.add(ref);
    return ref;
  };
  return oses.map((os, i) => ({
    ref: unique(`os:${i}:${os.root}`),
    os,
    name: osName(os),
    version: osVersion(os),
    cpe: osCpe(os),
    packages: (os.applications ?? []).map((app) => {
      const p = applicationPurl(app, os);
      const purl = p ? purlString(p) : undefined;
      return {
        ref: unique(purl ?? `app:${i}:${app.name}`),
        app,
        name: (os.package_format === undefined && app.display_name) || app.name,
        version: displayVersion(app, os),
        purl,
        license: sbomLicense(app.license, spdxId),
      };
    }),
  }));
}
