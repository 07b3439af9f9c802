// The library API of joot's appliance layer.
export { Session } from './session.js';
export { JootError, isJootError, oneLine, type JootErrorCode } from './errors.js';
export { GuestReader } from './guest-reader.js';
export { GuestWriter } from './guest-writer.js';
export { reapDeadSessions } from './registry.js';
export { probeImage, type ImageInfo, type ImageLayer } from './image.js';
export { setVerbose } from './run.js';
export { requireRoot, NEEDS_ROOT } from './privilege.js';
export type * from './types.js';
