// The batch's result cache: an image's report is reused while the image and every file its
// headers chain to (backing files, data files, vmdk extents) are unchanged — same device,
// inode, size and mtime. A re-run over an unchanged store costs the stat calls and one small
// read per image. A name a header holds is checked by the same rule as when the image is
// opened (checkNamedPath) before its header is read; an image whose chain cannot be followed
// or breaks the rule simply is not cached (its inspection then says why).
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { readHeaderRefs } from '../../disk/containers/image-headers.js';
import { type BackingAllowance, checkNamedPath } from '../../disk/containers/named-path.js';

/** a chain deeper than this is not cached (qemu's own limit on backing chains is higher) */
const MAX_CHAIN = 16;
/** at most this many files a chain may name in all (vmdk extents), else not cached */
const MAX_FILES = 256;

/** Where the cache lives: $XDG_CACHE_HOME/joot/inspect, else ~/.cache/joot/inspect. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'joot', 'inspect');
}

async function stamp(path: string): Promise<string> {
  const s = await lstat(path, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.mode}`;
}

/**
 * The identity of `image` and its chain, with the options that shape a report (`salt`), as a
 * hex key; undefined when the chain cannot be followed (a missing or unreadable file).
 */
export async function identityKey(
  image: string,
  format: string | undefined,
  salt: string,
  allow: BackingAllowance,
): Promise<string | undefined> {
  const h = createHash('sha256').update(salt).update('\0');
  let files = 0;
  try {
    const todo: { path: string; format: string | undefined; depth: number }[] = [{ path: await realpath(image), format, depth: 0 }];
    while (todo.length > 0) {
      const { path, format: fmt, depth } = todo.shift()!;
      if (depth > MAX_CHAIN || ++files > MAX_FILES) return undefined;
      h.update(`${path}\0${await stamp(path)}\0`);
      const facts = await readHeaderRefs(path, fmt);
      if (facts.refuse) return undefined;
      for (const r of facts.refs) {
        const named = await checkNamedPath({ imageGiven: image, imagePath: path, field: r.field, name: r.name }, allow);
        todo.push({ path: named, format: r.format, depth: depth + 1 });
      }
    }
  } catch {
    return undefined;
  }
  return h.digest('hex');
}

/** The cached report text for `key`, if any. */
export async function cached(dir: string, key: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, `${key}.json`), 'utf8');
  } catch {
    return undefined;
  }
}

/** Keep `text` (one report's JSON) for `key`; a failure to write only costs the next run. */
export async function remember(dir: string, key: string, text: string): Promise<void> {
  const file = join(dir, `${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}
