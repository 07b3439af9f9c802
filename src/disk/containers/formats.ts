// Which format an image is, from the magic of its first bytes, as qemu's probes say it (each
// format's *_probe in qemu's block/ drivers). Only the top image is probed: backing files get
// the format their parent's header records.
import { qcow2Detect } from './qcow2-header.js';
import { detect as rawDetect } from './raw.js';

/** qemu's BLOCK_PROBE_BUF_SIZE: what the probes see of the file */
export const PROBE_BYTES = 2048;

const QCOW_MAGIC = 0x514649fb;
const QED_MAGIC = 0x00444551; // "QED\0" little-endian
const VMDK4_MAGIC = 0x4b444d56; // "KDMV" big-endian
const VMDK3_MAGIC = 0x434f5744; // "COWD"
const VDI_SIGNATURE = 0xbeda107f;
const VDI_HEADER_BYTES = 0x200; // qemu wants a whole VdiHeader in the probe buffer
const QED_HEADER_BYTES = 64;

export function qcowDetect(h: Buffer): boolean {
  return h.length >= 8 && h.readUInt32BE(0) === QCOW_MAGIC && h.readUInt32BE(4) === 1;
}

export function qedDetect(h: Buffer): boolean {
  return h.length >= QED_HEADER_BYTES && h.readUInt32LE(0) === QED_MAGIC;
}

/** A sparse vmdk's magic, or a text descriptor: comment and blank lines, then "version=1|2|3". */
export function vmdkDetect(h: Buffer): boolean {
  if (h.length >= 4 && (h.readUInt32BE(0) === VMDK4_MAGIC || h.readUInt32BE(0) === VMDK3_MAGIC)) return true;
  const s = h.toString('latin1');
  let p = 0;
  while (p < s.length) {
    if (s[p] === '#') {
      const nl = s.indexOf('\n', p);
      if (nl < 0) return false;
      p = nl + 1;
      continue;
    }
    if (s[p] === ' ') {
      // only blank lines may come before "version="
      while (p < s.length && s[p] === ' ') p++;
      if (s[p] === '\r') p++;
      if (s[p] !== '\n') return false;
      p++;
      continue;
    }
    return /^version=[123]\r?\n/.test(s.slice(p, p + 11));
  }
  return false;
}

export function vdiDetect(h: Buffer): boolean {
  return h.length >= VDI_HEADER_BYTES && h.readUInt32LE(0x40) === VDI_SIGNATURE;
}

export function vhdxDetect(h: Buffer): boolean {
  return h.length >= 8 && h.toString('latin1', 0, 8) === 'vhdxfile';
}

export function vpcDetect(h: Buffer): boolean {
  return h.length >= 8 && h.toString('latin1', 0, 8) === 'conectix';
}

const DETECTORS: readonly [string, (h: Buffer) => boolean][] = [
  ['qcow2', qcow2Detect],
  ['qcow', qcowDetect],
  ['qed', qedDetect],
  ['vmdk', vmdkDetect],
  ['vdi', vdiDetect],
  ['vhdx', vhdxDetect],
  ['vpc', vpcDetect],
  ['raw', rawDetect],
];

/** The format of an image whose first bytes (up to PROBE_BYTES) are `head`. */
/**
 * A raw image's first sector that is text, not a disk: printable ASCII, tab, CR, LF or UTF-8
 * lead/continuation bytes, no NUL (a file given by mistake, refused by both engines alike).
 */
export function looksLikeText(head: Buffer): boolean {
  return head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2);
}

/** Why a file probed as raw (no format given) is not taken as a disk image; undefined when it is. */
export function notARawDisk(size: number, head: Buffer): string | undefined {
  if (size % 512 !== 0) return `not a disk image (size ${size} is not a multiple of 512 bytes)`;
  if (looksLikeText(head.subarray(0, 512))) return 'looks like a text file, not a disk image';
  return undefined;
}

export function detectFormat(head: Buffer): string {
  const h = head.subarray(0, PROBE_BYTES);
  return DETECTORS.find(([, d]) => d(h))?.[0] ?? 'raw';
}
