// guestfish base64-in and base64-out: upload and download through a base64 filter, streamed.
// base64-out writes what GNU `base64` writes (76-column lines, a final newline); base64-in
// decodes as `base64 -d -i` does (characters outside the alphabet, line breaks included, are
// ignored) and writes through upload's guest-rooted path (a final guest link followed inside the
// guest, never out of it; refused in a read-only session).
import { JootError } from '../../core/errors.js';
import type { Writer } from '../../core/output.js';
import { openGuestFile } from '../file-ops.js';
import { Progress, type ProgressStream } from '../progress.js';
import { chunksOf, openLocal, type TransferSession, upload, writeLocal } from '../transfer-ops.js';

/** Bytes per 76-character line. */
const LINE_BYTES = 57;
const LINES_PER_CHUNK = 4096;

/** Encode a stream as GNU base64 does: lines of 76 characters, each ended by a newline. */
export async function* encodeBase64(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  const lines = (b: Buffer): Buffer => {
    const parts: string[] = [];
    for (let i = 0; i < b.length; i += LINE_BYTES) parts.push(`${b.subarray(i, i + LINE_BYTES).toString('base64')}\n`);
    return Buffer.from(parts.join(''), 'latin1');
  };
  for await (const c of chunks) {
    const all = pending.length ? Buffer.concat([pending, c]) : c;
    const whole = all.length - (all.length % (LINE_BYTES * LINES_PER_CHUNK));
    if (whole > 0) yield lines(all.subarray(0, whole));
    pending = Buffer.from(all.subarray(whole));
  }
  if (pending.length) yield lines(pending);
}

/**
 * Decode a base64 stream, ignoring every byte outside the alphabet (as `base64 -d -i`); input
 * whose length (in alphabet characters) is not a multiple of 4 is refused at its end.
 */
export async function* decodeBase64(chunks: AsyncIterable<Buffer>, display: string): AsyncGenerator<Buffer> {
  let carry = '';
  for await (const c of chunks) {
    const s = carry + c.toString('latin1').replace(/[^A-Za-z0-9+/=]+/g, '');
    const whole = s.length - (s.length % 4);
    carry = s.slice(whole);
    if (whole > 0) yield decodeQuads(s.slice(0, whole));
  }
  if (carry !== '') throw new JootError('EINVAL', `${display}: invalid base64 input (it ends in the middle of a group)`);
}

/** Whole groups of 4; padding may end one group and be followed by more (concatenated files). */
function decodeQuads(s: string): Buffer {
  if (!s.includes('=')) return Buffer.from(s, 'base64');
  const parts: Buffer[] = [];
  for (let i = 0; i < s.length; i += 4) parts.push(Buffer.from(s.slice(i, i + 4), 'base64'));
  return Buffer.concat(parts);
}

export interface Base64Io {
  stdin?: AsyncIterable<Buffer | string>;
  stderr?: ProgressStream;
}

/** guestfish base64-out: the guest file, base64-encoded, to the host file `local` (`-`: `out`). */
export async function base64Out(s: TransferSession, guestPath: string, local: string, out: Writer, io: Base64Io): Promise<void> {
  const fh = await openGuestFile(s.reader, guestPath); // a missing file fails before the output exists
  try {
    const size = (await fh.stat()).size;
    await writeLocal(
      local,
      out,
      encodeBase64(chunksOf(fh, guestPath)),
      new Progress(`base64-out ${guestPath}`, Math.ceil(size / 3) * 4, io.stderr),
    );
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** guestfish base64-in: decode the host file `local` (`-`: stdin) into the guest file `guestPath`. */
export async function base64In(s: TransferSession, local: string, guestPath: string, io: Base64Io): Promise<void> {
  await s.writer.hostPathForCreate(guestPath); // a read-only session stops here, before the host file is read
  const src = await openLocal(local, io.stdin); // a missing host file fails before the guest file is touched
  try {
    await upload(s, '-', guestPath, { stdin: decodeBase64(src.chunks, local), stderr: io.stderr });
  } finally {
    await src.close();
  }
}
