// Extended attributes of host paths, read with the host's `getfattr -h` (Node has no xattr API),
// many files per process: how the kernel engine's GuestFileReader.attrs reads a guest's
// attributes (tar-out --xattrs / --selinux / --acls). The paths given are ones the reader
// resolved inside the guest root: every directory above them is a real directory below it.
import { JootError } from '../core/errors.js';
import { run as defaultRun, type Runner } from '../core/run.js';

/** getfattr's quoting: backslash + three octal digits for one byte. */
export function unquote(s: string): Buffer {
  const src = Buffer.from(s, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x5c && i + 3 < src.length && /^[0-7]{3}$/.test(src.subarray(i + 1, i + 4).toString('latin1'))) {
      out.push(parseInt(src.subarray(i + 1, i + 4).toString('latin1'), 8) & 0xff);
      i += 3;
    } else out.push(src[i]!);
  }
  return Buffer.from(out);
}

/** Parse `getfattr -d -e base64` output: file (latin1 key) → attribute name → value. */
export function parseGetfattr(text: string): Map<string, Map<string, Buffer>> {
  const out = new Map<string, Map<string, Buffer>>();
  let cur: Map<string, Buffer> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      cur = new Map();
      out.set(unquote(line.slice(8)).toString('latin1'), cur);
      continue;
    }
    if (line === '' || !cur) continue;
    const eq = line.indexOf('=');
    const name = unquote(eq === -1 ? line : line.slice(0, eq)).toString('utf8');
    const v = eq === -1 ? '' : line.slice(eq + 1);
    let value: Buffer;
    if (v.startsWith('0s')) value = Buffer.from(v.slice(2), 'base64');
    else if (v.startsWith('0x')) value = Buffer.from(v.slice(2), 'hex');
    else value = unquote(v.replace(/^"(.*)"$/, '$1'));
    cur.set(name, value);
  }
  return out;
}

/** Keep each getfattr command line well under the kernel's argument limits. */
const ARG_BYTES = 96 * 1024;

/** The attributes of host paths (links not followed). Paths that are not valid UTF-8 cannot be
 *  passed as arguments: skipped with a warning. Filesystems without attributes give none. */
export async function readAttrs(
  paths: readonly Buffer[],
  warn: (m: string) => void,
  display: (p: Buffer) => string,
  run: Runner = defaultRun,
): Promise<Map<string, Map<string, Buffer>>> {
  const out = new Map<string, Map<string, Buffer>>();
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    const s = p.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(p) || p.includes(0)) {
      warn(`${display(p)}: extended attributes not archived: the name is not valid UTF-8`);
      continue;
    }
    if (bytes + p.length > ARG_BYTES && batch.length) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(s);
    bytes += p.length + 1;
  }
  if (batch.length) batches.push(batch);
  for (const b of batches) {
    const r = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', '--', ...b], { allowFailure: true });
    if (r.exitCode !== 0 && r.stdout === '' && !r.stderr.includes(': '))
      throw new JootError('ECMD', `getfattr failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no output'}`);
    for (const [k, v] of parseGetfattr(r.stdout)) out.set(k, v);
    for (const line of r.stderr.split('\n')) {
      if (line.trim() === '' || /Operation not supported|No such file or directory/.test(line)) continue;
      warn(line.replace(/^getfattr: /, ''));
    }
  }
  return out;
}
