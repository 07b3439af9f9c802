// LUKS1/LUKS2 in userspace, and BitLocker detection.
export { isBitLocker } from './bitlocker.js';
export type { LuksDataDevice, LuksDigest, LuksHeader, LuksSlot } from './header.js';
export type { LuksKdf } from './kdf.js';
export { CAPS as LUKS_CAPS } from './kdf.js';
export { findVolumeKey, openLuks, openLuksDetached } from './open.js';
export { readLuksHeader } from './read-header.js';
