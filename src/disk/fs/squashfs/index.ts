// squashfs 4.0 (every compressor) as a FileSystemModule.
import type { FileSystemModule } from '../types.js';
import { SquashfsReader } from './reader.js';

export const squashfsModule: FileSystemModule = {
  types: ['squashfs'],
  open: (source, device) => SquashfsReader.open(source, device),
};
