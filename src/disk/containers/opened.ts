// What openImage hands back: a byte source over the image's virtual disk, and its format.
import type { ByteSource } from '../source.js';

export interface OpenedImage extends ByteSource {
  /** the format it was read as (given, or detected from the top image's magic as qemu-img does) */
  readonly format: string;
}
