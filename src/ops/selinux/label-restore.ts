// Setting many nodes' security.selinux at once: one `setfattr -h --restore=-` per batch, fed a
// getfattr-style dump on stdin (Node has no xattr API). -h: a symbolic link's own attribute,
// never its target's. The host paths given were reached by walking the guest tree with lstat
// from the guest root, so every directory above them is a real directory of the guest.
import { JootError, isMissingProgram } from '../../core/errors.js';
import { run as defaultRun, type Runner } from '../../core/run.js';

/** One label to set: the host path (bytes) and the context, written as setfiles writes it (NUL-terminated). */
export interface LabelWrite {
  host: Buffer;
  context: string;
  /** the guest path, for messages */
  guest: string;
}

/** getfattr's quoting, which setfattr --restore undoes: \ooo for every byte that is not plain printable ASCII. */
function quote(b: Buffer): string {
  let out = '';
  for (const c of b) out += c > 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
  return out;
}

/** Keep each restore file modest; setfattr reads it line by line. */
const BATCH = 2000;

/**
 * Set each node's label; a node that cannot be labelled is reported through `warn` (naming the
 * guest path) and the rest go on, as setfiles -C goes on. Throws when setfattr is missing.
 */
export async function writeLabels(writes: readonly LabelWrite[], warn: (m: string) => void, run: Runner = defaultRun): Promise<void> {
  for (let i = 0; i < writes.length; i += BATCH) {
    const batch = writes.slice(i, i + BATCH);
    const dump = batch
      .map((w) => `# file: ${quote(w.host)}\nsecurity.selinux=0x${Buffer.from(`${w.context}\0`, 'latin1').toString('hex')}\n`)
      .join('\n');
    let r;
    try {
      r = await run('setfattr', ['-h', '--restore=-'], {
        input: Buffer.from(`${dump}\n`, 'latin1'),
        allowFailure: true,
        timeoutMs: 600_000,
      });
    } catch (e) {
      if (isMissingProgram(e))
        throw new JootError('EUNSUPPORTED', 'setfattr is not installed (Debian package attr): SELinux labels cannot be set', { cause: e });
      throw e;
    }
    if (r.exitCode === 0) continue;
    // "setfattr: HOST: message": shown with the guest path; never the host's
    const byHost = new Map(batch.map((w) => [w.host.toString('utf8'), w.guest]));
    let reported = 0;
    for (const line of r.stderr.split('\n')) {
      const m = /^setfattr: (.*): ([^:]+)$/.exec(line);
      if (!m) continue;
      const guest = byHost.get(m[1]!);
      if (reported++ < 10) warn(`${guest ?? '(a file)'}: the SELinux label could not be set: ${m[2]}`);
    }
    if (reported > 10) warn(`… and ${reported - 10} more files could not be labelled`);
    if (reported === 0) throw new JootError('EIO', `setfattr failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
}
