// jinspect --sbom: the images' identity (probed again: qemu-img info, no check) and the
// report, to the SBOM. Imported only with --sbom: the SBOM code and its library stay out of a plain start.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { probeImage } from '../../appliance/index.js';
import type { BackingOptions } from '../backing.js';
import { sbomText, type SbomFormat, type SbomImage } from '../../inspect/sbom/index.js';
import type { InspectionReport } from '../../inspect/types.js';
import { version } from '../cli.js';

/** Name (no directory: the host's paths stay out of the SBOM), format and virtual size of each image. */
export function sbomImages(drives: readonly { path: string; format?: string }[], backing: BackingOptions): Promise<SbomImage[]> {
  return Promise.all(
    drives.map(async (d) => {
      const info = await probeImage(d.path, { ...backing, format: d.format, readonly: true, check: false });
      return { name: basename(d.path), format: info.format, virtualSize: info.virtualSize };
    }),
  );
}

export function sbomOf(format: SbomFormat, report: InspectionReport, images: SbomImage[]): Promise<string> {
  return sbomText(format, { report, images, tool: { name: 'joot-jinspect', version: version() }, created: new Date(), uuid: randomUUID() });
}
