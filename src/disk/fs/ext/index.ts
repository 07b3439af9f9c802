// The ext2/ext3/ext4 reader module (blkid types ext2, ext3, ext4, ext4dev).
import type { FileSystemModule } from '../types.js';

export const extModule: FileSystemModule = {
  types: ['ext2', 'ext3', 'ext4', 'ext4dev'],
  open: async (source, device) => (await import('./reader.js')).ExtReader.open(source, device),
};
