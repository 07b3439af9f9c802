// virt-inspector's answers, kept per machine next to the fixtures (like them, made once): it
// boots the libguestfs appliance under TCG, 25–60 s of both cores per image, and says the same
// thing every time for the same image bytes and the same libguestfs. An answer is reused only
// when the image file is the very one it was given (device, inode, size, modification time: a
// rebuilt or modified fixture is another file; Workdir's hard links share the fixture's
// inode), with the same arguments, virt-inspector version and host kernel (the appliance's);
// only successful runs are kept.
// JOOT_ORACLE_FRESH=1 runs virt-inspector every time (and refreshes the kept answers).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES_DIR } from '../fixtures/index.js';
import { type RunResult, run } from './jinspect-helpers.js';

const CACHE_DIR = path.join(path.dirname(FIXTURES_DIR), 'oracle-cache');
const versions = new Map<string, Promise<string>>();

function versionOf(bin: string): Promise<string> {
  let v = versions.get(bin);
  if (!v) {
    v = run(bin, ['--version']).then((r) => {
      if (r.code !== 0) throw new Error(`${bin} --version exited ${String(r.code ?? r.signal)}: ${r.stderr.trim()}`);
      return r.stdout.trim();
    });
    versions.set(bin, v);
  }
  return v;
}

export interface OracleResult extends RunResult {
  /** the answer was kept from an earlier run (ms is that run's) */
  cached: boolean;
}

/** `bin ...args -a image`, or its kept answer for this very image file. */
export async function virtInspectorCached(
  bin: string,
  args: string[],
  image: string,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<OracleResult> {
  const st = statSync(image, { bigint: true });
  const key = JSON.stringify({
    version: await versionOf(bin),
    kernel: os.release(),
    args,
    image: { name: path.basename(image), dev: `${st.dev}`, ino: `${st.ino}`, size: `${st.size}`, mtime: `${st.mtimeNs}` },
  });
  const file = path.join(CACHE_DIR, `${createHash('sha256').update(key).digest('hex')}.json`);
  if (process.env.JOOT_ORACLE_FRESH !== '1') {
    try {
      const kept = JSON.parse(readFileSync(file, 'utf8')) as { key: string; result: RunResult };
      if (kept.key === key) return { ...kept.result, cached: true };
    } catch {
      /* not kept yet */
    }
  }
  const result = await run(bin, [...args, '-a', image], opts);
  if (result.code === 0) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, result }));
    renameSync(tmp, file);
  }
  return { ...result, cached: false };
}
