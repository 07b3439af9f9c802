// The xfs reader module (v4 and v5 filesystems), registered for blkid TYPE xfs.
import type { FileSystemModule } from '../types.js';

export const xfsModule: FileSystemModule = {
  types: ['xfs'],
  open: async (source, device) => (await import('./reader.js')).XfsReader.open(source, device),
};
