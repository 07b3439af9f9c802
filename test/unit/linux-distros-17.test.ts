// Issue 17 point 5: the distributions of today, each from its real os-release (and the release
// files it ships), as data in test/fixtures/distros-os-release.json — the same data the
// distros.raw fixture is built from (test/fixtures/recipes/distros.sh).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { linuxFacts } from '../../src/inspect/linux/distro.js';
import { elfHeader, makeTree, removeTree, type Tree } from './linux-guest-trees.js';

interface DistroCase {
  name: string;
  files: Record<string, string | { symlink: string }>;
  expect: {
    distro: string;
    product_name?: string;
    major: number;
    minor: number;
    build_id?: string;
    osinfo: string;
    package_format?: string;
    package_management?: string;
  };
}

const DISTRO_CASES = JSON.parse(readFileSync(new URL('../fixtures/distros-os-release.json', import.meta.url), 'utf8')) as DistroCase[];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('distributions of today (issue 17)', () => {
  for (const c of DISTRO_CASES) {
    it(c.name, async () => {
      const tree: Tree = { 'etc/fstab': '# empty\n', 'usr/bin/bash': elfHeader(2, 1, 62, 256), bin: { symlink: 'usr/bin' }, ...c.files };
      const dir = await makeTree(tree, 'joot-distro17-');
      dirs.push(dir);
      const warnings: string[] = [];
      const f = await linuxFacts(new GuestReader(dir), warnings);
      expect(warnings).toEqual([]);
      expect({
        distro: f.distro,
        product_name: f.product_name,
        major: f.major_version,
        minor: f.minor_version,
        build_id: f.build_id,
        osinfo: f.osinfo,
        package_format: f.package_format,
        package_management: f.package_management,
      }).toEqual({ build_id: undefined, package_format: undefined, package_management: undefined, ...c.expect });
      expect(f.arch).toBe('x86_64');
    });
  }
});
