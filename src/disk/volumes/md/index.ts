// md RAID in userspace: see scan.ts.
export { type MdArray, type MdDevice, type ScanOptions, scanMd } from './scan.js';
export { type MdSuperblock, readMdSuperblock } from './superblock.js';
