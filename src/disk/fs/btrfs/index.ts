// btrfs, read in-process (see reader.ts).
import type { FileSystemModule } from '../types.js';
import { BtrfsReader } from './reader.js';

export const btrfsModule: FileSystemModule = {
  types: ['btrfs'],
  open: (source, device) => BtrfsReader.open(source, device),
};
