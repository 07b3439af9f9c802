// SPDX 2.3 JSON of an inspection report. Written as plain objects: no maintained npm
// library writes SPDX 2.3; the tests validate the result. The image is the described
// package; it CONTAINS each OS, which CONTAINS its packages; a package is GENERATED_FROM the
// source package its database names (a package of purpose SOURCE, contained in nothing).
import type { SbomInput } from './input.js';
import { type SbomPackage, sbomOses } from './components.js';
import type { SbomLicense, SpdxLists } from './license.js';

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  supplier?: string;
  homepage?: string;
  sourceInfo?: string;
  summary?: string;
  comment?: string;
  primaryPackagePurpose: 'APPLICATION' | 'OPERATING_SYSTEM' | 'FILE' | 'SOURCE';
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  licenseDeclared?: string;
  licenseComments?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: 'DESCRIBES' | 'CONTAINS' | 'GENERATED_FROM'; relatedSpdxElement: string }[];
}

/** SPDX text fields hold any text, but an SPDX element id only [A-Za-z0-9.-]. */
const idPart = (s: string): string => s.replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 100);

/** An SPDX homepage is a URL (or NONE / NOASSERTION): a guest's odd text is left out. */
const homepage = (url: string | undefined): string | undefined => (url && /^https?:\/\/[^\s]+$/.test(url) ? url : undefined);

/** SPDX "created": UTC to the second, no fraction (the schema's pattern). */
const spdxTime = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** A package's licenseDeclared: an SPDX id or expression; a license SPDX does not name is NOASSERTION (its name in licenseComments). */
function declared(l: SbomLicense | undefined): Pick<SpdxPackage, 'licenseDeclared' | 'licenseComments'> {
  if (!l) return { licenseDeclared: 'NOASSERTION' };
  if ('id' in l) return { licenseDeclared: l.id };
  if ('expression' in l) return { licenseDeclared: l.expression };
  return { licenseDeclared: 'NOASSERTION', licenseComments: `recorded by the package database: ${l.name}` };
}

export function toSpdx(input: SbomInput, spdx: SpdxLists): SpdxDocument {
  const oses = sbomOses(input.report.operatingsystems, spdx);
  const label = input.images.map((i) => i.name).join('+') || 'image';
  const packages: SpdxPackage[] = [];
  const relationships: SpdxDocument['relationships'] = [];
  const imageIds = input.images.map((img, i) => {
    const id = `SPDXRef-Image-${i}-${idPart(img.name)}`;
    packages.push({
      SPDXID: id,
      name: img.name,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'FILE',
      checksums: img.sha256 ? [{ algorithm: 'SHA256', checksumValue: img.sha256 }] : undefined,
      comment: `disk image: format ${img.format}, virtual size ${img.virtualSize} bytes`,
    });
    relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: id });
    return id;
  });
  oses.forEach((o, i) => {
    const osId = `SPDXRef-OperatingSystem-${i}-${idPart(o.name)}`;
    packages.push({
      SPDXID: osId,
      name: o.name,
      versionInfo: o.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      summary: o.os.product_name,
      comment: `root ${o.os.root}${o.os.arch ? `, ${o.os.arch}` : ''}${o.os.hostname ? `, hostname ${o.os.hostname}` : ''}`,
      externalRefs: o.cpe ? [{ referenceCategory: 'SECURITY', referenceType: 'cpe23Type', referenceLocator: o.cpe }] : undefined,
    });
    // the OS lives on the images together (a guest's disks): each image contains it
    for (const img of imageIds) relationships.push({ spdxElementId: img, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
    const ids = new Map<SbomPackage, string>();
    o.packages.forEach((p, n) => {
      const id = `SPDXRef-Package-${i}-${n}-${idPart(p.name)}`;
      ids.set(p, id);
      const source = p.app.source_package && p.app.source_package !== p.app.name ? p.app.source_package : undefined;
      packages.push({
        SPDXID: id,
        name: p.name,
        versionInfo: p.version,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        supplier: p.app.publisher ? `Organization: ${p.app.publisher.replace(/[\r\n]+/g, ' ')}` : undefined,
        homepage: homepage(p.app.url),
        sourceInfo: source ? `built package from: ${source}` : undefined,
        summary: p.app.summary ?? p.app.description?.split('\n', 1)[0],
        primaryPackagePurpose: 'APPLICATION',
        ...declared(p.license),
        externalRefs: p.purl ? [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }] : undefined,
      });
      relationships.push({ spdxElementId: osId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
    });
    o.sources.forEach((s, n) => {
      const id = `SPDXRef-Source-${i}-${n}-${idPart(s.name)}`;
      packages.push({
        SPDXID: id,
        name: s.name,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'SOURCE',
        externalRefs: s.purl ? [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: s.purl }] : undefined,
      });
      for (const b of s.binaries)
        relationships.push({ spdxElementId: ids.get(b)!, relationshipType: 'GENERATED_FROM', relatedSpdxElement: id });
    });
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `jinspect ${label}`,
    documentNamespace: `https://joot.invalid/spdx/${encodeURIComponent(label)}-${input.uuid}`,
    creationInfo: { created: spdxTime(input.created), creators: [`Tool: ${input.tool.name}-${input.tool.version}`] },
    packages,
    relationships,
  };
}
