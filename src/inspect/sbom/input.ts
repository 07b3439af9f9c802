// What an SBOM is made from: the inspection report, the images it came from, and the few
// facts that change per run (time, serial number), given so the conversions stay pure.
import type { InspectionReport } from '../types.js';

export interface SbomImage {
  /** the image file's name (no directory: an SBOM travels, the host's paths need not) */
  name: string;
  /** container format: raw, qcow2, vmdk, … */
  format: string;
  /** bytes the guest sees */
  virtualSize: number;
  /** the sha256 of the image file's bytes (hex), when asked for (jinspect --sbom-hash) */
  sha256?: string;
}

export interface SbomInput {
  report: InspectionReport;
  images: readonly SbomImage[];
  tool: { name: string; version: string };
  created: Date;
  /** a UUID: the CycloneDX serial number and the SPDX document namespace's last part */
  uuid: string;
}

export type SbomFormat = 'cyclonedx' | 'spdx';
export const SBOM_FORMATS: readonly SbomFormat[] = ['cyclonedx', 'spdx'];
