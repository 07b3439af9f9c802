// Setting and removing a guest file's extended attributes (setxattr, lsetxattr, removexattr,
// lremovexattr, and the ACL and capability commands, which are attributes too). The host path
// comes from the session's guest-rooted writer, which refuses a read-only session: `follow`
// resolves a final guest symlink INSIDE the guest (hostPathForUpdate never returns a link),
// otherwise the link itself is named (hostPathForWrite). setfattr runs with -h either way, so
// the kernel never follows a link at the last step: a guest link cannot lead a write to a host
// file. Node has no xattr API; values travel base64-encoded, so any bytes survive.
import { JootError, type JootErrorCode, isMissingProgram } from '../core/errors.js';
import { run } from '../core/run.js';
import type { GuestFileWriter } from './guest-files.js';

/** Linux's limits (XATTR_NAME_MAX, XATTR_SIZE_MAX). */
const NAME_MAX = 255;
const VALUE_MAX = 65536;

async function hostOf(w: GuestFileWriter, guestPath: string, follow: boolean): Promise<string> {
  if (!follow) return w.hostPathForWrite(guestPath);
  const { host, exists } = await w.hostPathForUpdate(guestPath);
  if (!exists) throw new JootError('ENOENT', `${guestPath}: No such file or directory`, { guestPath });
  return host;
}

function checkName(name: string): void {
  const n = Buffer.byteLength(name);
  if (n === 0 || n > NAME_MAX || name.includes('\0'))
    throw new JootError('EINVAL', `invalid extended attribute name '${name}': 1 to ${NAME_MAX} bytes, no NUL`);
}

/** setfattr's last message line, naming the guest path, never the host one. */
const REASONS: [RegExp, JootErrorCode, string][] = [
  [/No such attribute|No data available/, 'ENOENT', 'No data available'],
  [/Operation not supported/, 'EUNSUPPORTED', 'Operation not supported'],
  [/Operation not permitted/, 'EPERM', 'Operation not permitted'],
  [/Permission denied/, 'EPERM', 'Permission denied'],
  [/Invalid argument/, 'EINVAL', 'Invalid argument'],
  [/No space left/, 'EIO', 'No space left on device'],
  [/Numerical result out of range|Argument list too long/, 'EINVAL', 'Numerical result out of range'],
];

async function setfattr(args: string[], host: string, guestPath: string): Promise<void> {
  let r;
  try {
    r = await run('setfattr', [...args, '--', host], { allowFailure: true, timeoutMs: 30_000 });
  } catch (e) {
    if (isMissingProgram(e))
      throw new JootError('EUNSUPPORTED', `${guestPath}: setfattr is not installed (Debian package attr)`, { cause: e });
    throw e;
  }
  if (r.exitCode === 0) return;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const hit = REASONS.find(([re]) => re.test(last));
  const why =
    hit?.[2] ??
    (last
      .split(host)
      .join(guestPath)
      .replace(/^setfattr: /, '') ||
      `setfattr exit ${r.exitCode}`);
  throw new JootError(hit?.[1] ?? 'EIO', `${guestPath}: ${why}`, { guestPath });
}

/** Set attribute `name` of the guest file to `value` (replacing it). */
export async function setGuestXattr(
  w: GuestFileWriter,
  guestPath: string,
  name: string,
  value: Buffer,
  opts: { follow: boolean },
): Promise<void> {
  checkName(name);
  if (value.length > VALUE_MAX) throw new JootError('EINVAL', `${guestPath}: a value holds at most ${VALUE_MAX} bytes`);
  const host = await hostOf(w, guestPath, opts.follow);
  // setfattr -n NAME without -v sets an empty value; "0s" with nothing after is refused
  const v = value.length ? ['-v', `0s${value.toString('base64')}`] : [];
  await setfattr(['-h', '-n', name, ...v], host, guestPath);
}

/** Remove attribute `name`; with `missingOk` an attribute that is not there is no error. */
export async function removeGuestXattr(
  w: GuestFileWriter,
  guestPath: string,
  name: string,
  opts: { follow: boolean; missingOk?: boolean },
): Promise<void> {
  checkName(name);
  const host = await hostOf(w, guestPath, opts.follow);
  try {
    await setfattr(['-h', '-x', name], host, guestPath);
  } catch (e) {
    if (opts.missingOk && e instanceof JootError && e.code === 'ENOENT' && /No data available$/.test(e.message)) return;
    throw e;
  }
}
