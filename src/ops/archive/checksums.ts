// guestfish checksums-out and checksum-device. checksums-out lists every regular file below a
// guest directory as `cd DIR && find -type f -print0 | xargs -0 sha256sum` prints it (names
// `./a/b`; for crc, `cksum`'s CRC, size and name): one line per file, written as each file is
// read (the tree is walked by guest-walk.ts, links never followed). checksum-device hashes a
// session device's bytes, on either engine.
import type { Session } from '../../appliance/session.js';
import { isFileNode } from '../../appliance/guest-files.js';
import type { Writer } from '../../core/output.js';
import { CHUNK, openDeviceReader } from '../block-io.js';
import { handleChunks, newDigest } from '../file-ops.js';
import { Progress, type ProgressStream } from '../progress.js';
import { transferError, type TransferSession, writeLocal } from '../transfer-ops.js';
import { guestPathOf, topDir, walkGuestTree } from './guest-walk.js';

/**
 * A name as coreutils' sha256sum (9.x) writes it: a backslash, newline or carriage return makes
 * the line start with `\`, and those three are written `\\`, `\n`, `\r`.
 */
export function coreutilsName(name: Buffer): { escaped: boolean; text: Buffer } {
  if (!name.some((b) => b === 0x5c || b === 0x0a || b === 0x0d)) return { escaped: false, text: name };
  const out: number[] = [];
  for (const b of name) {
    if (b === 0x5c) out.push(0x5c, 0x5c);
    else if (b === 0x0a) out.push(0x5c, 0x6e);
    else if (b === 0x0d) out.push(0x5c, 0x72);
    else out.push(b);
  }
  return { escaped: true, text: Buffer.from(out) };
}

/** One line of the list: `HASH  NAME` (sha256sum and friends) or `CRC SIZE NAME` (cksum). */
export function checksumLine(type: string, digest: string, size: number, name: Buffer): Buffer {
  if (type.toLowerCase() === 'crc') return Buffer.concat([Buffer.from(`${digest} ${size} `), name, Buffer.from('\n')]);
  const { escaped, text } = coreutilsName(name);
  return Buffer.concat([Buffer.from(`${escaped ? '\\' : ''}${digest}  `), text, Buffer.from('\n')]);
}

/** guestfish checksums-out: the checksums of every regular file below `guestDir`, to `local` (`-`: `out`). */
export async function checksumsOut(
  s: TransferSession,
  type: string,
  guestDir: string,
  local: string,
  out: Writer,
  stderr?: ProgressStream,
): Promise<void> {
  newDigest(type); // an unknown type fails before anything else
  const top = await topDir(s.reader, guestDir);
  const stopped = () => local === '-' && out.closed;
  const lines = async function* (): AsyncGenerator<Buffer> {
    for await (const { node, rel } of walkGuestTree(s.reader, top, stopped)) {
      if (!isFileNode(node.stat)) continue;
      const display = guestPathOf(guestDir, rel);
      const fh = await s.reader.openNode(node).catch((e: unknown) => {
        throw transferError(e, display);
      });
      try {
        const d = newDigest(type);
        let size = 0;
        try {
          for await (const c of handleChunks(fh, CHUNK)) {
            d.update(c);
            size += c.length;
          }
        } catch (e) {
          throw transferError(e, display);
        }
        yield checksumLine(type, d.digest(), size, rel);
      } finally {
        await fh.close().catch(() => undefined);
      }
    }
  };
  await writeLocal(local, out, lines(), new Progress(`checksums-out ${guestDir}`, 0, stderr), { text: true });
}

/** guestfish checksum-device: the checksum of a session device's bytes, streamed. */
export async function checksumDevice(session: Session, type: string, device: string): Promise<string> {
  const d = newDigest(type);
  const dev = await openDeviceReader(session, device);
  try {
    for (let off = 0; off < dev.size; off += CHUNK) d.update(await dev.read(off, Math.min(CHUNK, dev.size - off)));
  } finally {
    await dev.close();
  }
  return d.digest();
}
