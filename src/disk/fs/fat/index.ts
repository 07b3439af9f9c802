// FAT12, FAT16 and FAT32 with VFAT long names (blkid TYPE vfat).
import type { FileSystemModule } from '../types.js';
import { FatReader } from './reader.js';

export const fatModule: FileSystemModule = {
  types: ['vfat'],
  open: (source, device) => FatReader.open(source, device),
};
