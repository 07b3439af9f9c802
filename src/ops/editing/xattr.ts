// The SELinux label (security.selinux xattr) of a guest file, read and written with getfattr /
// setfattr (package attr) on the host path GuestReader/GuestWriter resolved inside the guest.
// Node has no xattr API. -h: the node itself, never a link's target (the path given is always
// the already-resolved final node). Values go as hex, so any bytes survive.
import { JootError, isMissingProgram } from '../../core/errors.js';
import { factsOf, run, type Runner } from '../../core/run.js';

const NAME = 'security.selinux';

/**
 * The label as 0x… hex, or undefined when the file has none (or the filesystem keeps no
 * xattrs). When getfattr is not installed: undefined and a warning.
 */
export async function readSelinuxLabel(host: string, warn?: (m: string) => void, runner: Runner = run): Promise<string | undefined> {
  let r;
  try {
    r = await runner('getfattr', ['-h', '--absolute-names', '-e', 'hex', '-n', NAME, '--', host], {
      allowFailure: true,
      timeoutMs: 30_000,
    });
  } catch (e) {
    if (isMissingProgram(e)) {
      warn?.('getfattr is not installed (Debian package attr): an SELinux label is not kept');
      return undefined;
    }
    throw e;
  }
  const m = new RegExp(`^${NAME.replace('.', '\\.')}=(0x[0-9a-fA-F]+)$`, 'm').exec(r.stdout);
  if (r.exitCode === 0 && m) return m[1];
  if (r.exitCode === 0 || /No such attribute|Operation not supported|not supported/i.test(r.stderr)) return undefined;
  warn?.(`the SELinux label could not be read (getfattr exit ${r.exitCode}): it is not kept`);
  return undefined;
}

/** Set the label (hex from readSelinuxLabel) on the host node; errors name the guest path. */
export async function writeSelinuxLabel(host: string, hex: string, guestPath: string, runner: Runner = run): Promise<void> {
  if (!/^0x[0-9a-fA-F]+$/.test(hex)) throw new JootError('EINVAL', `${guestPath}: bad SELinux label value`, { guestPath });
  let r;
  try {
    r = await runner('setfattr', ['-h', '-n', NAME, '-v', hex, '--', host], { allowFailure: true, timeoutMs: 30_000 });
  } catch (e) {
    if (isMissingProgram(e))
      throw new JootError('EUNSUPPORTED', `${guestPath}: setfattr is not installed (Debian package attr): the SELinux label was lost`, {
        cause: e,
        guestPath,
      });
    throw e;
  }
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n').pop()?.replace(/^.*: /, '') ?? `exit ${r.exitCode}`;
    throw new JootError('EIO', `${guestPath}: the SELinux label could not be restored: ${why}`, { ...factsOf(r), guestPath });
  }
}
