// The library API of joot's appliance layer.
export { Session } from './session.js';
export { JootError, isJootError, oneLine, type JootErrorCode } from '../core/errors.js';
export { GuestReader } from './guest-reader.js';
export { GuestWriter } from './guest-writer.js';
export type { GuestFileReader, GuestFileWriter, GuestFiles } from './guest-files.js';
export { reapDeadSessions } from './registry.js';
export { probeImage, type ImageInfo, type ImageLayer } from './image.js';
export { setVerbose } from '../core/run.js';
export { requireRoot, NEEDS_ROOT } from '../core/privilege.js';
export type * from './types.js';
export { interruptedBy, signalExitCode } from './cleanup.js';
export { hostHasNbd } from './attach/nbd.js';
export { kernelFilesystems } from './kernel-fs.js';
export { hostHasDeviceMapper } from './lvm.js';
export { chooseEngine, parseEngineName, type EngineName } from './userspace-engine.js';
export { parseKeySpec, type LuksKey } from '../disk/keys.js';
