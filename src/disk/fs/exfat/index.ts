// exFAT (blkid TYPE exfat).
import type { FileSystemModule } from '../types.js';

export const exfatModule: FileSystemModule = {
  types: ['exfat'],
  open: async (source, device) => (await import('./reader.js')).ExfatReader.open(source, device),
};
