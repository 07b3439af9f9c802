// btrfs, read in-process (see reader.ts).
import type { FileSystemModule } from '../types.js';

export const btrfsModule: FileSystemModule = {
  types: ['btrfs'],
  open: async (source, device, opts) => (await import('./reader.js')).BtrfsReader.open(source, device, opts),
};
