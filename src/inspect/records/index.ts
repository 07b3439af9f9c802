// The operation records that need inspection (inspect-*, running guest programs, /etc/fstab).
import { records as fstab } from './fstab.js';
import { records as guest } from './guest.js';
import { records as inspect } from './inspect.js';

export const inspectionRecords = [...fstab, ...guest, ...inspect] as const;
