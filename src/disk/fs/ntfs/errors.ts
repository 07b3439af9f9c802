// One-line errors naming the device and the filesystem, for every NTFS structure problem.
import { JootError, type JootErrorCode } from '../../../core/errors.js';

export type Fail = (code: JootErrorCode, message: string) => JootError;

export function failer(device: string): Fail {
  return (code, message) => new JootError(code, `${device}: ntfs: ${message}`.replace(/\s*\n\s*/g, ' '));
}
