// ISO 9660 (with Rock Ridge, Joliet and zisofs) as a FileSystemModule.
import type { FileSystemModule } from '../types.js';

export const iso9660Module: FileSystemModule = {
  types: ['iso9660'],
  open: async (source, device) => (await import('./reader.js')).IsoReader.open(source, device),
};
