// LVM2 read in userspace from its on-disk text metadata: the entry point of src/disk/volumes/lvm.
export { type LvmDevice, type LvmVolumes, scanLvm, validLvmName } from './scan.js';
export { readsLvType, unsupportedLvTypes } from './mapping.js';
