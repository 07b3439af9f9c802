// NTFS (blkid TYPE ntfs), read in-process.
import type { ByteSource } from '../../source.js';
import type { FileSystemModule, FileSystemReader } from '../types.js';
import { NtfsReader } from './reader.js';

export const ntfsModule: FileSystemModule = {
  types: ['ntfs'],
  open(source: ByteSource, device: string): Promise<FileSystemReader> {
    return NtfsReader.open(source, device);
  },
};

export { NtfsReader };
