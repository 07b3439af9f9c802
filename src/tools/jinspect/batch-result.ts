// One image's result in jinspect --batch and in a --worker's job: the inspection report, and
// with --sbom the image's SBOM, either in the NDJSON line or written under --out DIR (the line
// then names the files). The members are JSON text of an object, the line's after "image" and
// "ok": {"report":…[,"sbom":…]} or {"file":…[,"sbom_file":…]}; a worker stores them in Redis as
// the job's return value, so --collect prints the lines --batch prints.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Session, type SessionOptions } from '../../appliance/index.js';
import { JootError } from '../../core/errors.js';
import { jsonText } from '../../core/escape.js';
import { inspect, type InspectOptions, unreadFilesystems } from '../../inspect/index.js';
import { strictGaps } from '../../inspect/strict.js';
import type { SbomFormat } from '../../inspect/sbom/index.js';
import type { InspectionReport } from '../../inspect/types.js';

export interface ImageResultOptions {
  /** what shapes each report (--no-applications, --with) */
  inspect: InspectOptions;
  /** --strict: a report with gaps is a failed image (its reasons the error) */
  strict: boolean;
  session: SessionOptions;
  /** write each report (and SBOM) to DIR/NAME.json (NAME.cdx.json, NAME.spdx.json) */
  out?: string;
  sbom?: SbomFormat;
  /** --sbom-hash: the SBOM carries the sha256 of the image file */
  sbomHash?: boolean;
}

/** Inspect one image in its own session: the report's JSON text, or a JootError. */
export async function inspectOne(
  image: { path: string; format?: string },
  o: Pick<ImageResultOptions, 'session' | 'inspect' | 'strict'>,
): Promise<string> {
  await using session = new Session(o.session);
  session.addDrive(image.path, { format: image.format, readonly: true });
  await session.launch();
  const report = await inspect(session, o.inspect);
  if (report.operatingsystems.length === 0) {
    // what could not be read may be why (a filesystem no reader reads, the kernel fallback off)
    const unread = unreadFilesystems(session);
    throw new JootError('ENOENT', `no operating system found${unread.length ? ` (${unread.join('; ')})` : ''}`);
  }
  const gaps = o.strict ? strictGaps(report) : [];
  if (gaps.length) throw new JootError('EINVAL', `--strict: ${gaps.join('; ')}`);
  return jsonText(report);
}

/** The file name a report gets under --out: the image's name, made unique by its full path. */
export function outName(image: string, suffix = '.json'): string {
  const tag = createHash('sha256').update(resolve(image)).digest('hex').slice(0, 8);
  return `${basename(image).replace(/[^A-Za-z0-9._-]/g, '_')}-${tag}${suffix}`;
}

/** The result members of an image whose report is `report` (JSON text: fresh, or from the cache). */
export async function resultMembers(image: { path: string; format?: string }, report: string, o: ImageResultOptions): Promise<string> {
  let sbom: string | undefined;
  if (o.sbom) {
    const { sbomImages, sbomOf } = await import('./sbom.js');
    const backing = { backingDirs: o.session.backingDirs ?? [], backingImages: o.session.backingImages ?? [] };
    const images = await sbomImages([image], backing, o.sbomHash === true);
    sbom = await sbomOf(o.sbom, JSON.parse(report) as InspectionReport, images);
  }
  // in the line: one line of JSON (the document as the file has it, indented, parsed again)
  if (!o.out) return sbom === undefined ? `{"report":${report}}` : `{"report":${report},"sbom":${jsonText(JSON.parse(sbom))}}`;
  const file = join(o.out, outName(image.path));
  await writeFile(file, `${report}\n`);
  if (sbom === undefined) return `{"file":${jsonText(file)}}`;
  const sbomFile = join(o.out, outName(image.path, o.sbom === 'cyclonedx' ? '.cdx.json' : '.spdx.json'));
  await writeFile(sbomFile, sbom);
  return `{"file":${jsonText(file)},"sbom_file":${jsonText(sbomFile)}}`;
}

/** Inspect one image to its result members (a worker's job). */
export async function imageResult(image: { path: string; format?: string }, o: ImageResultOptions): Promise<string> {
  return resultMembers(image, await inspectOne(image, o), o);
}

/** One NDJSON result line (without its newline): the members, else the error. */
export function resultLine(image: string, members: string | undefined, error: string | undefined): string {
  if (members === undefined) return `{"image":${jsonText(image)},"ok":false,"error":${jsonText(error ?? 'failed')}}`;
  return `{"image":${jsonText(image)},"ok":true,${members.slice(1)}`;
}
