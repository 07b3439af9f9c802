// Shared by the probe tests: what the real blkid says about a file or a byte range of it, in the
// two forms the userspace prober answers in.
import { run } from '../../src/core/run.js';
import { parseBlkidUdev } from '../../src/disk/probe/index.js';
import { FileSource, SliceSource, type ByteSource } from '../../src/disk/source.js';
import type { Probe } from '../../src/disk/types.js';

export interface BlkidAnswer {
  /** export pairs without DEVNAME and PART_ENTRY_DISK; undefined when blkid failed (ambivalent) */
  pairs: [string, string][] | undefined;
  udev: Probe;
}

function rangeArgs(range?: { offset: number; size: number }): string[] {
  return range ? ['-O', String(range.offset), '-S', String(range.size)] : [];
}

export async function blkid(path: string, range?: { offset: number; size: number }): Promise<BlkidAnswer> {
  const ex = await run('blkid', ['-p', '-o', 'export', ...rangeArgs(range), path], { allowFailure: true });
  const ud = await run('blkid', ['-p', '-o', 'udev', ...rangeArgs(range), path], { allowFailure: true });
  const pairs =
    ex.exitCode === 0
      ? ex.stdout
          .split('\n')
          .map((l) => /^([A-Z_0-9]+)=(.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => !!m && m[1] !== 'DEVNAME' && m[1] !== 'PART_ENTRY_DISK')
          .map((m): [string, string] => [m[1]!, m[2]!])
      : ex.exitCode === 2
        ? []
        : undefined;
  return { pairs, udev: ud.exitCode === 0 ? clean(parseBlkidUdev(ud.stdout)) : {} };
}

/** A Probe without its undefined fields (for toEqual). */
export function clean(p: Probe): Probe {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Probe;
}

export async function withSource<T>(
  path: string,
  range: { offset: number; size: number } | undefined,
  fn: (s: ByteSource) => Promise<T>,
): Promise<T> {
  const f = await FileSource.open(path);
  try {
    return await fn(range ? new SliceSource(f, range.offset, range.size, `${path}@${range.offset}`) : f);
  } finally {
    await f.close();
  }
}
