// The independent answers the userspace partition reader is compared with: `sfdisk --json`
// (the layout view, through the kernel engine's own parser) and `partx -g` on the image file
// (the device view, turned into PartitionInfo exactly as src/appliance/stages/devices.ts does).
// Both tools read image files directly: no root, no loop device.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { parseSfdiskJson, type Table } from '../../src/appliance/layout/partition-table.js';
import { diskName, partitionName } from '../../src/appliance/names.js';
import { parsePartxPairs, toPartitions } from '../../src/appliance/partitions.js';
import type { PartitionInfo } from '../../src/disk/types.js';

const ENV = { ...process.env, LC_ALL: 'C' };

/** sfdisk's table, or undefined where it finds none, or 'error' where it fails otherwise. */
export function sfdiskTable(file: string): Table | undefined | 'error' {
  const r = spawnSync('sfdisk', ['--json', file], { encoding: 'utf8', env: ENV });
  if (r.status !== 0) return /does not contain a recognized partition table/.test(r.stderr) ? undefined : 'error';
  // sfdisk prints some warnings (an EBR's invalid flag) on stdout before the JSON
  const json = r.stdout.slice(Math.max(0, r.stdout.indexOf('{')));
  return parseSfdiskJson(json, statSync(file).size);
}

/** partx's partitions as the kernel engine's PartitionInfo (disk index 0); [] where it finds no table. */
export function partxInfos(file: string): PartitionInfo[] | 'error' {
  const r = spawnSync('partx', ['-g', '--pairs', '--output', 'NR,START,SECTORS,TYPE,UUID,NAME,SCHEME', file], {
    encoding: 'utf8',
    env: ENV,
  });
  if (r.status !== 0) return /failed to read partition table|does not contain a recognized partition table/.test(r.stderr) ? [] : 'error';
  return toPartitions('/dev/loopX', parsePartxPairs(r.stdout)).map((p) => ({
    name: partitionName(0, p.number),
    disk: diskName(0),
    number: p.number,
    start: p.start,
    size: p.size,
    scheme: p.scheme,
    type: p.type,
    uuid: p.uuid,
    label: p.label,
    extended: p.extended || undefined,
  }));
}
