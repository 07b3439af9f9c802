// md arrays a stock host's udev assembles from a guest disk's partitions (found in the
// stock-kernel VM): which of them the kernel engine stops — every array holding the disk or a
// partition of it (a guest's arrays span several of the session's disks). A fake /sys tree.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostArraysOn } from '../../src/appliance/host-md.js';

const sys = mkdtempSync(path.join(tmpdir(), 'joot-host-md-'));
afterAll(() => rmSync(sys, { recursive: true, force: true }));

function dev(rel: string, holders: string[] = [], slaves: string[] = [], partition = false): void {
  const d = path.join(sys, 'block', rel);
  mkdirSync(path.join(d, 'holders'), { recursive: true });
  mkdirSync(path.join(d, 'slaves'), { recursive: true });
  for (const h of holders) mkdirSync(path.join(d, 'holders', h));
  for (const s of slaves) mkdirSync(path.join(d, 'slaves', s));
  if (partition) writeFileSync(path.join(d, 'partition'), '1\n');
}

describe('host md arrays on a guest disk', () => {
  dev('loop1');
  dev('loop1/loop1p1', ['md127'], [], true);
  dev('loop1/loop1p2', ['md126'], [], true);
  dev('loop1/loop1p3', ['dm-0'], [], true);
  dev('loop2');
  dev('loop2/loop2p1', ['md126'], [], true);
  dev('md127', [], ['loop1p1']);
  dev('md126', [], ['loop1p2', 'loop2p1']);

  it('names the arrays that hold one of the disk’s partitions, also those spanning other disks; not device-mapper', () => {
    expect(hostArraysOn('/dev/loop1', sys)).toEqual(['md126', 'md127']);
    expect(hostArraysOn('/dev/loop2', sys)).toEqual(['md126']);
  });

  it('finds nothing on a disk the host did not touch', () => {
    dev('nbd0');
    expect(hostArraysOn('/dev/nbd0', sys)).toEqual([]);
  });
});
