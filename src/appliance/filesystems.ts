// What is on each block device: one `blkid -p` (low-level probe, no cache) for all of them,
// and the subvolumes of each btrfs (which needs a short read-only mount to list).
import { mkdir, rmdir } from 'node:fs/promises';
import { run } from './run.js';

export interface Probe {
  type?: string;
  label?: string;
  uuid?: string;
  /** partition table type when the device holds one (dos, gpt) */
  ptType?: string;
  usage?: string;
}

/** Parse `blkid -o export` output: blocks of KEY=value separated by blank lines. */
export function parseBlkidExport(text: string): Map<string, Probe> {
  const out = new Map<string, Probe>();
  for (const block of text.split(/\n\s*\n/)) {
    const kv: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) kv[line.slice(0, eq)] = unescapeBlkid(line.slice(eq + 1));
    }
    if (!kv.DEVNAME) continue;
    out.set(kv.DEVNAME, { type: kv.TYPE, label: kv.LABEL, uuid: kv.UUID, ptType: kv.PTTYPE, usage: kv.USAGE });
  }
  return out;
}

// blkid -o export escapes with backslashes (\ before special characters)
function unescapeBlkid(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export async function probeDevices(devices: string[]): Promise<Map<string, Probe>> {
  if (devices.length === 0) return new Map();
  // exit 2: nothing found on some device; that's an answer, not an error
  const r = await run('blkid', ['-p', '-o', 'export', ...devices], { allowFailure: true });
  if (r.exitCode !== 0 && r.exitCode !== 2 && r.stdout.trim() === '') {
    // one bad device makes blkid give up on the batch: probe one by one
    const out = new Map<string, Probe>();
    for (const d of devices) {
      const one = await run('blkid', ['-p', '-o', 'export', d], { allowFailure: true });
      for (const [k, v] of parseBlkidExport(one.stdout)) out.set(k, v);
    }
    return out;
  }
  return parseBlkidExport(r.stdout);
}

/** `btrfs subvolume list` lines: "ID 256 gen 9 top level 5 path @home" */
export function parseSubvolumeList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^ID \d+ gen \d+ (?:cgen \d+ )?top level \d+ (?:parent_uuid \S+ )?path (.+)$/.exec(l.trim())?.[1])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^<FS_TREE>\//, ''));
}

/** List a btrfs's subvolumes by mounting its top level read-only for a moment. */
export async function listBtrfsSubvolumes(device: string, scratch: string): Promise<string[]> {
  await mkdir(scratch, { recursive: true });
  try {
    await run('mount', ['-t', 'btrfs', '-o', 'ro,nosuid,nodev,noexec,subvolid=5,rescue=nologreplay', device, scratch]);
    try {
      const r = await run('btrfs', ['subvolume', 'list', '-a', scratch]);
      return parseSubvolumeList(r.stdout).sort();
    } finally {
      await run('umount', [scratch]);
    }
  } finally {
    await rmdir(scratch).catch(() => undefined);
  }
}
