// NTFS (blkid TYPE ntfs), read in-process.
import type { FileSystemModule } from '../types.js';

export const ntfsModule: FileSystemModule = {
  types: ['ntfs'],
  open: async (source, device) => (await import('./reader.js')).NtfsReader.open(source, device),
};
