// Which devices are one btrfs over several devices (listed once, on the first) and which are
// filesystems of their own: members share the UUID and differ in UUID_SUB; clones of one
// single-device filesystem (two copies of a VM's disk) share both and are each listed.
import { describe, expect, it } from 'vitest';
import { btrfsSiblings, laterBtrfsMembers } from '../../src/disk/probe/multi-device.js';
import type { Probe } from '../../src/disk/types.js';

const btrfs = (uuid: string, uuidSub: string): Probe => ({ type: 'btrfs', uuid, uuidSub });

describe('multi-device btrfs members', () => {
  const devs = [
    { name: '/dev/sda', probe: btrfs('F1', 'a') },
    { name: '/dev/sdb', probe: { type: 'ext4', uuid: 'F1' } },
    { name: '/dev/sdc', probe: btrfs('F1', 'b') },
    { name: '/dev/sdd', probe: btrfs('F2', 'x') },
    { name: '/dev/sde', probe: btrfs('F2', 'x') }, // a clone of sdd
    { name: '/dev/sdf', probe: btrfs('F1', 'c') },
    { name: '/dev/sdg', probe: { type: 'btrfs', uuid: 'F1' } }, // no UUID_SUB: not told apart
  ];

  it('lists a multi-device btrfs on its first member only, and every clone', () => {
    expect([...laterBtrfsMembers(devs)]).toEqual(['/dev/sdc', '/dev/sdf']);
    expect([...laterBtrfsMembers([...devs].reverse())]).toEqual(['/dev/sdc', '/dev/sda']);
  });

  it("finds a member's siblings, never itself, a clone or another type", () => {
    expect(btrfsSiblings(devs[2]!.probe, devs).map((d) => d.name)).toEqual(['/dev/sda', '/dev/sdf']);
    expect(btrfsSiblings(devs[3]!.probe, devs)).toEqual([]);
    expect(btrfsSiblings(devs[1]!.probe, devs)).toEqual([]);
  });
});
