// FAT12, FAT16 and FAT32 with VFAT long names (blkid TYPE vfat).
import type { FileSystemModule } from '../types.js';

export const fatModule: FileSystemModule = {
  types: ['vfat'],
  open: async (source, device) => (await import('./reader.js')).FatReader.open(source, device),
};
