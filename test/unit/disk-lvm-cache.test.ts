// A cache LV (dm-cache: its current data is split between the origin and the cache pool, which
// joot does not read) in userspace LVM, on lvm-cache.raw: a VG made by lvm's own lvcreate
// --type cache-pool and lvconvert --type cache (test/fixtures/recipes/lvm-cache.sh). The cache
// LV is listed, with the reason it cannot be opened; its hidden parts are not; the linear LVs
// before and after the pool's extents read as usual. No root: the image is read as a file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ByteSource } from '../../src/disk/source.js';
import { type LvmVolumes, scanLvm, unsupportedLvTypes } from '../../src/disk/volumes/lvm/index.js';
import { fixture } from '../fixtures/index.js';
import { ext4Facts, MiB, partitionDevices } from './disk-lvm-helpers.js';

describe('userspace LVM: lvm-cache.raw (a cache LV between two linear ones)', () => {
  let v: LvmVolumes;
  let srcs: ByteSource[];
  beforeAll(async () => {
    const { devices, sources } = await partitionDevices(await fixture('lvm-cache.raw'));
    srcs = sources;
    v = await scanLvm(devices);
  });
  afterAll(async () => {
    for (const s of srcs) await s.close();
  });

  it('lists the cache LV with its reason, and not the pool, its data, metadata, spare or the origin', () => {
    expect(v.problems).toEqual([]);
    expect(v.pvs.map((p) => [p.name, p.vg, p.uuid])).toEqual([['/dev/sda1', 'vgcache', 'cac4e0-0000-0000-0000-0000-0000-00000a']]);
    expect(v.lvs.map((l) => [l.name, l.size / MiB, l.segtype, l.unavailable])).toEqual([
      ['/dev/vgcache/cached', 8, 'cache', `/dev/vgcache/cached: ${unsupportedLvTypes(['cache'])}`],
      ['/dev/vgcache/plain', 8, 'linear', undefined],
      ['/dev/vgcache/tail', 4, 'linear', undefined],
    ]);
  });

  it('opening the cache LV is one EUNSUPPORTED line; its hidden parts are not there to open', () => {
    expect(() => v.open('/dev/vgcache/cached')).toThrow(
      expect.objectContaining({ code: 'EUNSUPPORTED', message: `/dev/vgcache/cached: ${unsupportedLvTypes(['cache'])}` }),
    );
    for (const hidden of ['cached_corig', 'cpool_cpool', 'cpool_cpool_cdata', 'cpool_cpool_cmeta', 'lvol0_pmspare'])
      expect(() => v.open(`/dev/vgcache/${hidden}`), hidden).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('the LVs around it read: the ext4 the recipe made on each, at the extents lvm gave it', async () => {
    expect(await ext4Facts(v.open('/dev/vgcache/plain'))).toEqual({ label: 'plain', uuid: 'cac4e000-0000-4000-8000-0000000000a1' });
    expect(await ext4Facts(v.open('/dev/vgcache/tail'))).toEqual({ label: 'tail', uuid: 'cac4e000-0000-4000-8000-0000000000a3' });
  });
});
