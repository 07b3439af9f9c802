// ISO 9660 (with Rock Ridge, Joliet and zisofs) as a FileSystemModule.
import type { FileSystemModule } from '../types.js';
import { IsoReader } from './reader.js';

export const iso9660Module: FileSystemModule = {
  types: ['iso9660'],
  open: (source, device) => IsoReader.open(source, device),
};
