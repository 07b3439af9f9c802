// SBOMs of an inspection report (jinspect --sbom): pure functions of the report and the images.
import { toCycloneDx } from './cyclonedx.js';
import type { SbomFormat, SbomInput } from './input.js';
import { toSpdx } from './spdx.js';
import { jsonText } from '../../core/escape.js';
import { loadSpdxLists } from './license.js';

export { loadSpdxLists, sbomLicense, type SbomLicense, type SpdxLists } from './license.js';

export type { SbomFormat, SbomImage, SbomInput } from './input.js';
export { SBOM_FORMATS } from './input.js';

/** The SBOM document's text (JSON, ending with a newline). */
export async function sbomText(format: SbomFormat, input: SbomInput): Promise<string> {
  const spdx = await loadSpdxLists();
  return format === 'cyclonedx' ? `${await toCycloneDx(input, spdx)}\n` : `${jsonText(toSpdx(input, spdx), 2)}\n`;
}
