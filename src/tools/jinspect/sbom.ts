// jinspect --sbom: the images' identity (probed again: qemu-img info, no check) and the
// report, to the SBOM. Imported only with --sbom: the SBOM code and its library stay out of a plain start.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { probeImage } from '../../appliance/index.js';
import type { BackingOptions } from '../backing.js';
import { sbomText, type SbomFormat, type SbomImage } from '../../inspect/sbom/index.js';
import type { InspectionReport } from '../../inspect/types.js';
import { version } from '../cli.js';

/**
 * Name (no directory: the host's paths stay out of the SBOM), format and virtual size of each
 * image; with `hash` (--sbom-hash) the sha256 of its file, streamed (memory bounded whatever its size).
 */
export function sbomImages(
  drives: readonly { path: string; format?: string }[],
  backing: BackingOptions,
  hash = false,
): Promise<SbomImage[]> {
  return Promise.all(
    drives.map(async (d) => {
      const info = await probeImage(d.path, { ...backing, format: d.format, readonly: true, check: false });
      const image: SbomImage = { name: basename(d.path), format: info.format, virtualSize: info.virtualSize };
      if (hash) image.sha256 = await sha256File(d.path);
      return image;
    }),
  );
}

/** The sha256 of a file's bytes (as sha256sum prints it), read in 1 MiB pieces. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

export function sbomOf(format: SbomFormat, report: InspectionReport, images: SbomImage[]): Promise<string> {
  return sbomText(format, { report, images, tool: { name: 'joot-jinspect', version: version() }, created: new Date(), uuid: randomUUID() });
}
