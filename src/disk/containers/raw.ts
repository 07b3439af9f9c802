// Raw images: the file is the disk. The format every image without a known signature is.
import { FileSource } from '../source.js';
import type { OpenedImage } from './opened.js';

/** Anything is a raw image: raw is what is left when no other format's signature matches. */
export function detect(_header: Buffer): boolean {
  return true;
}

export async function openRaw(path: string, name = path): Promise<OpenedImage> {
  const file = await FileSource.open(path, name);
  return Object.assign(file, { format: 'raw' });
}
