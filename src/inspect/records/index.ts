// The operation records that need inspection (inspect-*, running guest programs).
import { records as guest } from './guest.js';
import { records as inspect } from './inspect.js';

export const inspectionRecords = [...guest, ...inspect] as const;
