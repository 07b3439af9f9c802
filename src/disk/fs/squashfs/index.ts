// squashfs 4.0 (every compressor) as a FileSystemModule.
import type { FileSystemModule } from '../types.js';

export const squashfsModule: FileSystemModule = {
  types: ['squashfs'],
  open: async (source, device) => (await import('./reader.js')).SquashfsReader.open(source, device),
};
