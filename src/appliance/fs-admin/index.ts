// Making and administering filesystems on HOST block devices (the loop devices a session
// maps; callers translate guest names to host paths and back). Used by jfish's mkfs, mkswap,
// set-label, set-uuid, fsck, e2fsck, resize2fs, wipefs, zero-device, zero, df and by jformat.
export { FS_TYPES, normalizeFsType, type FsType } from './types.js';
export { LABEL_RULES, validateLabel, validateRelabel, type LabelRule } from './labels.js';
export { validateUuid } from './uuids.js';
export { makeFilesystem, mkfsCommands, supportedMkfsTypes, MKFS_PROGRAM, type MkfsOptions } from './mkfs.js';
export { setLabel, setLabelCommand } from './set-label.js';
export { setUuid, setUuidCommand, setExtUuidSpecial } from './set-uuid.js';
export {
  checkFilesystem,
  e2fsck,
  e2fsckArgs,
  fsckPlan,
  FSCK_OK,
  FSCK_CORRECTED,
  FSCK_REBOOT,
  FSCK_UNCORRECTED,
  FSCK_OPERATIONAL,
  type FsckOptions,
  type FsckResult,
  type E2fsckOptions,
} from './fsck.js';
export { resize2fs, resize2fsArgs, isDeviceMounted, type ResizeOptions } from './resize.js';
export { wipeSignatures, hostPartitions, type WipeOptions } from './wipe.js';
export { zeroDevice, zeroFirstBlocks, zeroStart, zeroRange, deviceSize } from './zero.js';
export { filesystemUsage, usageFromStatfs, type FilesystemUsage } from './usage.js';
export { meaningfulLine, toolMessage, type Command } from './tool-error.js';
