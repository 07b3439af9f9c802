// The sha256 of a file's bytes, read in 8 MiB pieces: the tests' "the image did not change"
// check. readFileSync of a whole image first allocates and fills a buffer of its size (a 1 GiB
// gpt.raw: ~7 s of CPU for what this does in ~1 s, and sha256sum ~2.5 s).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

export function fileSha256(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(8 << 20);
    for (let off = 0, n = 0; (n = readSync(fd, buf, 0, buf.length, off)) > 0; off += n) h.update(buf.subarray(0, n));
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}
