// guestfish `file`: what kind of node a guest path is, and for a regular file what its content
// looks like. The node is lstat'ed inside the guest (a final symlink is "symbolic link", as in
// guestfish). For content, the host's file(1) reads bytes on its standard input only: it never
// gets a guest path, so a guest link can never point it at a host file. Like guestfish it runs
// `file -zb` (looking inside compressed data). It gets the first 64 KiB, or the whole file for
// an ELF object up to 64 MiB (its section headers are at the end of the file).
import type { GuestFileReader } from '../../appliance/guest-files.js';
import { JootError, errnoOf, isMissingProgram } from '../../core/errors.js';
import { run, type Runner } from '../../core/run.js';

const HEAD_BYTES = 64 * 1024;
const WHOLE_ELF_BYTES = 64 * 1024 * 1024;

const S_IFMT = 0o170000;
const TYPES: Record<number, string> = {
  0o040000: 'directory',
  0o120000: 'symbolic link',
  0o010000: 'fifo',
  0o020000: 'character device',
  0o060000: 'block device',
  0o140000: 'socket',
};

/** The guestfish word for a non-regular node, or undefined for a regular file. */
export function nodeTypeWord(mode: number): string | undefined {
  return TYPES[mode & S_IFMT];
}

/** What file(1) says about these bytes (one line). */
export async function describeBytes(data: Buffer, opts: { runner?: Runner; truncated?: boolean } = {}): Promise<string> {
  const runner = opts.runner ?? run;
  let out: string;
  try {
    out = (await runner('file', ['-zb', '-'], { input: data, timeoutMs: 30_000 })).stdout;
  } catch (e) {
    if (isMissingProgram(e) || errnoOf(e) === 'ENOENT')
      throw new JootError('EUNSUPPORTED', "the host has no 'file' program (Debian package file)", { cause: e });
    throw e;
  }
  let line = out.replace(/\s*\n[\s\S]*$/, '').trim();
  // a cut ELF: file(1) notes where the section headers would have been
  if (opts.truncated) line = line.replace(/, missing section headers at \d+/, '');
  return line;
}

/** guestfish file PATH. */
export async function fileType(reader: GuestFileReader, guestPath: string, opts: { runner?: Runner } = {}): Promise<string> {
  const st = await reader.lstat(guestPath);
  const word = nodeTypeWord(st.mode);
  if (word !== undefined) return word;
  let data = await reader.readHead(guestPath, HEAD_BYTES);
  let truncated = st.size > data.length;
  if (truncated && data.subarray(0, 4).equals(ELF_MAGIC)) {
    if (st.size <= WHOLE_ELF_BYTES) {
      data = await reader.readFile(guestPath, { maxBytes: WHOLE_ELF_BYTES });
      truncated = false;
    }
  }
  return describeBytes(data, { runner: opts.runner, truncated });
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
