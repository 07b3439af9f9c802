// exFAT (blkid TYPE exfat).
import type { FileSystemModule } from '../types.js';
import { ExfatReader } from './reader.js';

export const exfatModule: FileSystemModule = {
  types: ['exfat'],
  open: (source, device) => ExfatReader.open(source, device),
};
