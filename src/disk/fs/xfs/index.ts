// The xfs reader module (v4 and v5 filesystems), registered for blkid TYPE xfs.
import type { FileSystemModule } from '../types.js';
import { XfsReader } from './reader.js';

export const xfsModule: FileSystemModule = {
  types: ['xfs'],
  open: (source, device) => XfsReader.open(source, device),
};
