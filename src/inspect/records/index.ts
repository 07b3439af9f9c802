// The operation records that need inspection (inspect-*, running guest programs, /etc/fstab).
import { library } from '../../ops/library.js';
import { records as fileArch } from './file-arch.js';
import { records as fstab } from './fstab.js';
import { records as guest } from './guest.js';
import { records as inspect } from './inspect.js';
import { records as inspectMedia } from './inspect-media.js';

export const inspectionRecords = [...fstab, ...guest, ...inspect, ...inspectMedia, ...fileArch] as const;

/** Their library functions, as `ops` (src/ops) for the others: `inspectionOps.inspectOs(session)`. */
export const inspectionOps = library(inspectionRecords);
