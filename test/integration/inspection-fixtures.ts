// The inspection fixtures (Linux distributions, Windows, multi-boot, hostile): every image
// jinspect is run on where a test checks the whole report (engine-inspect-diff, engine-nonroot-reads).
import type { FixtureName } from '../fixtures/index.js';

export const INSPECTION_FIXTURES: readonly FixtureName[] = [
  'sample.raw',
  'debian-gpt.qcow2',
  'debian-lvm.raw',
  'debian-btrfs.raw',
  'debian-usr.raw',
  'ubuntu.raw',
  'fedora.raw',
  'rhel.raw',
  'rhel7.raw',
  'arch.raw',
  'alpine.raw',
  'neon.raw',
  'multiboot.raw',
  'hostile-inspect.raw',
  'windows.raw',
  'win10.raw',
  'win11.raw',
];
