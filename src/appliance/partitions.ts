// Partitions of an attached disk: read the table with partx (MBR with extended/logical,
// GPT), check it is sane, and make sure the kernel has a block device for each partition —
// added with partx where the kernel has no partition parser (like this CI host).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { JootError } from '../core/errors.js';
import { checkPartitions } from '../disk/volumes/table.js';
import { run, retryWhileBusy, sleep, type Runner } from '../core/run.js';
import { settle } from './udev.js';
import type { PartitionInfo } from '../disk/types.js';

/** A partition as partx lists it: the guest-facing fields, and the host device behind it. */
export interface HostPartition extends Omit<PartitionInfo, 'name' | 'disk' | 'extended'> {
  /** host block device of the partition, e.g. /dev/loop3p1 */
  device: string;
  extended: boolean;
}

const SECTOR = 512;
const EXTENDED_TYPES = new Set(['0x5', '0xf', '0x85']);

/** /dev/loop3 + 1 → /dev/loop3p1; /dev/sda + 1 → /dev/sda1 */
export function partitionDevice(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

/** Parse `partx --pairs` output: KEY="value" pairs, one partition per line. */
export function parsePartxPairs(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const rec: Record<string, string> = {};
      // partx escapes bytes (\xNN), also those of multi-byte UTF-8 characters: decode each run as UTF-8
      for (const m of line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        rec[m[1]!] = m[2]!.replace(/(?:\\x[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/\\x/gi, ''), 'hex').toString('utf8'));
      return rec;
    });
}

export function toPartitions(disk: string, rows: Record<string, string>[]): HostPartition[] {
  return rows.map((r) => {
    const type = (r.TYPE ?? '').toLowerCase();
    const scheme = r.SCHEME ?? '';
    return {
      number: Number(r.NR),
      device: partitionDevice(disk, Number(r.NR)),
      start: Number(r.START) * SECTOR,
      size: Number(r.SECTORS) * SECTOR,
      scheme,
      type,
      uuid: r.UUID || undefined,
      // a GPT name is the guest's data, kept exact: the tools escape it on a terminal
      label: r.NAME || undefined,
      extended: scheme === 'dos' && EXTENDED_TYPES.has(type),
    };
  });
}

/** Refuse tables that no sane partitioner writes: they are broken or hostile (the check both engines run). */
export function validateTable(parts: HostPartition[], diskSize: number, given: string): void {
  checkPartitions(parts, diskSize, given);
}

/**
 * partx says "no partitions" both for a blank disk and for a GPT whose headers are all
 * damaged. The second must not pass for an empty disk: someone's data is in there.
 */
async function refuseUnreadableGpt(disk: string, given: string): Promise<void> {
  const fh = await open(disk, 'r');
  try {
    const buf = Buffer.alloc(1024);
    await fh.read(buf, 0, 1024, 0);
    const mbrSigned = buf[510] === 0x55 && buf[511] === 0xaa;
    const protective = mbrSigned && [0, 1, 2, 3].some((i) => buf[446 + i * 16 + 4] === 0xee);
    const gptSignature = buf.toString('latin1', 512, 520) === 'EFI PART';
    if ((protective || gptSignature) && !(await validEmptyGpt(disk))) {
      throw new JootError(
        'EFORMAT',
        `${given}: corrupt partition table: GPT ${gptSignature ? 'header' : 'protective MBR'} present but no valid GPT (header checksums fail)`,
      );
    }
  } finally {
    await fh.close();
  }
}

/** sfdisk's second opinion: a GPT that is valid and simply has no partitions yet. */
async function validEmptyGpt(disk: string): Promise<boolean> {
  const r = await run('sfdisk', ['--json', disk], { allowFailure: true });
  if (r.exitCode !== 0 || /invalid|corrupt/i.test(r.stderr)) return false;
  try {
    const t = (JSON.parse(r.stdout) as { partitiontable?: { label?: string; partitions?: unknown[] } }).partitiontable;
    return t?.label === 'gpt' && (t.partitions ?? []).length === 0;
  } catch {
    return false;
  }
}

function hasAnyPartition(disk: string): boolean {
  const name = sysName(disk);
  try {
    return readdirSync(`/sys/class/block/${name}`).some((e) => e.startsWith(name));
  } catch {
    return false;
  }
}

function sysName(dev: string): string {
  return dev.replace(/^\/dev\//, '');
}

/** Does the kernel already show exactly these partitions on `disk`? */
function kernelHasExactly(disk: string, parts: HostPartition[]): boolean {
  const base = `/sys/class/block/${sysName(disk)}`;
  for (const p of parts) {
    const sys = `/sys/class/block/${sysName(p.device)}`;
    if (!existsSync(sys)) return false;
    const start = Number(readFileSync(`${sys}/start`, 'utf8')) * SECTOR;
    const size = Number(readFileSync(`${sys}/size`, 'utf8')) * SECTOR;
    // an extended partition shows as 1 KiB (only its link sector) in the kernel
    if (start !== p.start || (size !== p.size && !p.extended)) return false;
  }
  // no stale extra partitions either
  const n = parts.length;
  for (let i = 1; i <= 128; i++) {
    if (!parts.some((p) => p.number === i) && existsSync(`${base}/${sysName(partitionDevice(disk, i))}`)) return false;
    if (i > n + 8 && !existsSync(`${base}/${sysName(partitionDevice(disk, i))}`)) break;
  }
  return true;
}

export async function discoverPartitions(disk: string, diskSize: number, given: string, runner: Runner = run): Promise<HostPartition[]> {
  const r = await runner('partx', ['--pairs', '--output', 'NR,START,SECTORS,TYPE,UUID,NAME,SCHEME', disk], { allowFailure: true });
  if (r.exitCode !== 0) {
    if (/failed to read partition table|does not contain a recognized partition table/i.test(r.stderr)) return [];
    throw new JootError(
      'EFORMAT',
      `${given}: cannot read partition table: ${r.stderr
        .trim()
        .split('\n')
        .pop()
        ?.replace(/^partx:\s*/, '')
        .replace(disk, 'disk')}`,
    );
  }
  const parts = toPartitions(disk, parsePartxPairs(r.stdout));
  if (parts.length === 0) await refuseUnreadableGpt(disk, given);
  validateTable(parts, diskSize, given);
  if (!kernelHasExactly(disk, parts)) {
    // also after a table was rewritten: stale partition devices go, the new ones come
    await settle(runner);
    if (hasAnyPartition(disk)) await retryWhileBusy(() => runner('partx', ['-d', disk], { shielded: true }), `partx -d ${disk}`);
    if (parts.length) await retryWhileBusy(() => runner('partx', ['-a', disk], { shielded: true }), `partx -a ${disk}`);
    await settle(runner);
  }
  // devtmpfs creates the nodes; udev (where it runs) may still be renaming/chmodding them
  for (const p of parts) {
    for (let i = 0; !existsSync(p.device); i++) {
      if (i > 100) throw new JootError('ECMD', `${given}: partition ${p.number} did not appear`);
      await sleep(10);
    }
  }
  return parts;
}
