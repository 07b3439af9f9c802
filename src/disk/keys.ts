// LUKS keys as virt-inspector and guestfish take them: `--key SELECTOR:key:PASSPHRASE` or
// `--key SELECTOR:file:FILE`, where SELECTOR is the guest device (/dev/sda2) or the LUKS UUID.
// The passphrase is bytes (a key file may hold anything); a key file's content is used as it is.
// A detached LUKS header (cryptsetup --header FILE: the header in a file, the encrypted data on the
// device) is named in the same argument, before the key: `--key DEVICE:header:HDRFILE:key:PASS`
// or `DEVICE:header:HDRFILE:file:KEYFILE` (libguestfs has no form for it: its cryptsetup-open
// takes no header). DEVICE is then a guest device name: the data device has no LUKS UUID of its own.
import { readFileSync } from 'node:fs';
import { JootError } from '../core/errors.js';

export interface LuksKey {
  /** a guest device name or a LUKS UUID */
  selector: string;
  key: Buffer;
  /** the host path of a detached LUKS header for the device `selector` */
  header?: string;
}

/** The most a key file may hold (cryptsetup's default keyfile-size limit is 8 MiB). */
const MAX_KEY_FILE = 8 * 1024 * 1024;

/** Parse one --key argument; a key file is read now (its name is the user's, not the guest's). */
export function parseKeySpec(spec: string): LuksKey {
  const h = /^([^:]+):header:(.+?):((?:key|file):.*)$/s.exec(spec);
  if (h) {
    const [, device, header, rest] = h as unknown as [string, string, string, string];
    if (!device.startsWith('/dev/'))
      throw new JootError('EINVAL', `--key ${device}:header:…: a detached header needs a device name (/dev/sdb), not a UUID`);
    return { ...parseKeySpec(`${device}:${rest}`), header };
  }
  if (/^[^:]+:header:/.test(spec))
    throw new JootError(
      'EINVAL',
      `--key ${spec.split(':')[0] ?? ''}:header:…: expected DEVICE:header:HDRFILE:key:PASSPHRASE or DEVICE:header:HDRFILE:file:FILE`,
    );
  const m = /^(.+?):(key|file):(.*)$/s.exec(spec);
  if (!m || m[1] === '')
    throw new JootError('EINVAL', `--key ${spec.split(':')[0] ?? ''}:…: expected DEVICE:key:PASSPHRASE or DEVICE:file:FILE`);
  const [, selector, kind, value] = m as unknown as [string, string, string, string];
  if (kind === 'key') return { selector, key: Buffer.from(value, 'utf8') };
  let key: Buffer;
  try {
    key = readFileSync(value);
  } catch (e) {
    throw new JootError('ENOENT', `--key ${selector}:file:${value}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  if (key.length > MAX_KEY_FILE) throw new JootError('EINVAL', `--key ${selector}:file:${value}: larger than 8 MiB`);
  return { selector, key };
}

/** The key given for a device (by name, or by its LUKS UUID), if any; keys with a detached header are not. */
export function keyFor(keys: readonly LuksKey[], device: string, uuid: string): Buffer | undefined {
  const u = uuid.toLowerCase();
  return keys.find((k) => !k.header && (k.selector === device || k.selector.toLowerCase() === u))?.key;
}

/** The key with a detached header given for a device, if any. */
export function headerKeyFor(keys: readonly LuksKey[], device: string): (LuksKey & { header: string }) | undefined {
  return keys.find((k): k is LuksKey & { header: string } => k.header !== undefined && k.selector === device);
}
