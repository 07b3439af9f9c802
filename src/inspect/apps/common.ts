// What every package-database reader shares: the result shape, the sort order, and the
// "[epoch:]version[-release]" split (dpkg, apk and pacman all write versions that way).
import { JootError, errnoOf } from '../../core/errors.js';
import type { Application, GuestFiles } from '../types.js';

/** An application list, or why there is none. `undefined` from a lister means "no such
 *  package database here", which is normal. */
export type AppsResult = { applications: Application[]; warnings: string[] } | { error: string };

/** "[epoch:]version[-release]" → parts (release after the LAST '-'); undefined when unusable. */
export function splitEpochVersionRelease(v: string): { epoch: number; version: string; release: string } | undefined {
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) return undefined;
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 0x7fffffff) return undefined;
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : '';
  if (version === '') return undefined;
  return { epoch, version, release };
}

/** Sort by name in place (code-unit order: strcmp's order for ASCII names). The sort is
 *  stable, so same-named entries (multi-arch) keep their database order. */
export function sortApplications(apps: Application[]): Application[] {
  return apps.sort(byName);
}

function byName(a: Application, b: Application): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Bytes per read of readChunks. */
const CHUNK = 1024 * 1024;

/**
 * Feed a guest file to `each` in chunks of up to 1 MiB, for parsers that stream (memory: one
 * chunk, reused — `each` must copy what it keeps). A file larger than `maxBytes` is refused
 * before it is read, with GuestReader.readFile's message. Without openFile (test fakes) the
 * file is read whole.
 */
export async function readChunks(files: GuestFiles, path: string, maxBytes: number, each: (chunk: Buffer) => void): Promise<void> {
  if (!files.openFile) {
    each(await files.readFile(path, { maxBytes }));
    return;
  }
  const tooLarge = () => new JootError('EINVAL', `${path}: file is larger than ${maxBytes} bytes`);
  const fh = await files.openFile(path);
  try {
    if ((await fh.stat()).size > maxBytes) throw tooLarge();
    const buf = Buffer.allocUnsafe(CHUNK);
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(); // it grew
      each(buf.subarray(0, bytesRead));
    }
  } catch (e) {
    throw e instanceof JootError ? e : new JootError('EIO', `${path}: ${errnoOf(e) ?? 'read error'}`, { cause: e });
  } finally {
    await fh.close().catch(() => undefined);
  }
}
