// jinspect --sbom: the images' identity (probed again: a header read, no check) and the
// report, to the SBOM. Imported only with --sbom: the SBOM code and its library stay out of a plain start.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { probeImage } from '../../appliance/index.js';
import type { BackingOptions } from '../backing.js';
import { sbomText, type SbomFormat } from '../../inspect/sbom/index.js';
import type { InspectionReport } from '../../inspect/types.js';
import { version } from '../cli.js';

export async function sbomOf(
  format: SbomFormat,
  report: InspectionReport,
  drives: readonly { path: string; format?: string }[],
  backing: BackingOptions,
): Promise<string> {
  const images = await Promise.all(
    drives.map(async (d) => {
      const info = await probeImage(d.path, { ...backing, format: d.format, readonly: true, check: false });
      return { name: basename(d.path), format: info.format, virtualSize: info.virtualSize };
    }),
  );
  return await sbomText(format, {
    report,
    images,
    tool: { name: 'joot-jinspect', version: version() },
    created: new Date(),
    uuid: randomUUID(),
  });
}
