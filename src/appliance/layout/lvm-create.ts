// Creating LVM metadata on the guest's disks from the host. Same isolation as the scan in
// lvm.ts: scoped with --devices to the session's own devices (the host's VGs are invisible),
// the private lvm.conf (no backup/archive files in the host's /etc/lvm, no devices file, no
// udev), and --driverloaded n: nothing is activated, so this works without device-mapper.
// The session maps the new LVs itself (loop over the extents, or dm where the host has it).
import { JootError } from '../../core/errors.js';
import { LVM_SCAN_CONFIG, lvmSystemDir } from '../lvm.js';
import { run, type Runner } from '../../core/run.js';

/** Run one lvm subcommand scoped to `scope` (also lvm-extra.ts). */
export async function lvm(sub: string, scope: readonly string[], args: string[], runner: Runner): Promise<void> {
  const env: Record<string, string> = { LVM_SUPPRESS_FD_WARNINGS: '1' };
  const sysdir = await lvmSystemDir();
  if (sysdir) env.LVM_SYSTEM_DIR = sysdir;
  const full = [sub, ...scope.flatMap((d) => ['--devices', d]), '--driverloaded', 'n', '--config', LVM_SCAN_CONFIG, ...args];
  const r = await runner('lvm', full, { env, allowFailure: true, timeoutMs: 120_000 });
  if (r.exitCode !== 0) {
    const msg = r.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^WARNING: (Activation disabled|Logical volume .* not zeroed)|^Run `\w+ --help'/.test(l))
      .slice(-1)[0];
    throw new JootError('ECMD', `${sub}: ${msg ?? `failed (exit ${r.exitCode})`}`);
  }
}

/** LVM's rules for VG and LV names (lvm(8) "VALID NAMES"). */
export function checkLvmName(kind: 'VG' | 'LV', name: string): void {
  const bad = (why: string) => new JootError('EINVAL', `${name || '""'}: not a valid ${kind} name: ${why}`);
  if (!name) throw bad('empty');
  if (name.length > 127) throw bad('longer than 127 characters');
  if (!/^[A-Za-z0-9+_.-]+$/.test(name)) throw bad('only letters, digits and + _ . - are allowed');
  if (name.startsWith('-')) throw bad('must not start with -');
  if (name === '.' || name === '..') throw bad('reserved');
  if (
    kind === 'LV' &&
    (/^(snapshot|pvmove)$/.test(name) || /_(cdata|cmeta|corig|mlog|mimage|pmspare|rimage|rmeta|tdata|tmeta|vorigin|vdata)/.test(name))
  ) {
    throw bad('reserved by LVM');
  }
}

/** Make `pv` a physical volume (any signature on it is wiped). */
export async function pvcreate(pv: string, scope: readonly string[], runner: Runner = run): Promise<void> {
  await lvm('pvcreate', scope, ['--yes', '--force', pv], runner);
}

export async function vgcreate(vg: string, pvs: readonly string[], scope: readonly string[], runner: Runner = run): Promise<void> {
  checkLvmName('VG', vg);
  if (pvs.length === 0) throw new JootError('EINVAL', 'vgcreate: no physical volumes given');
  await lvm('vgcreate', scope, ['--yes', vg, ...pvs], runner);
}

export type LvSize = { bytes: number } | { percentFree: number };

/**
 * A linear LV, not activated and not zeroed by lvm (it cannot write through a mapping it does
 * not make): the session wipes the start of the new LV through its own mapping.
 */
export async function lvcreate(vg: string, lv: string, size: LvSize, scope: readonly string[], runner: Runner = run): Promise<void> {
  checkLvmName('VG', vg);
  checkLvmName('LV', lv);
  let sizeArgs: string[];
  if ('bytes' in size) {
    if (!(size.bytes > 0)) throw new JootError('EINVAL', `lvcreate: ${size.bytes}: size must be positive`);
    sizeArgs = ['--size', `${size.bytes}b`];
  } else {
    if (!(size.percentFree > 0 && size.percentFree <= 100))
      throw new JootError('EINVAL', `lvcreate: ${size.percentFree}%: must be 1..100 percent of the free space`);
    sizeArgs = ['--extents', `${size.percentFree}%FREE`];
  }
  await lvm(
    'lvcreate',
    scope,
    ['--yes', '--activate', 'n', '--zero', 'n', '--wipesignatures', 'n', '--type', 'linear', '--name', lv, ...sizeArgs, vg],
    runner,
  );
}

export async function lvremove(vg: string, lv: string, scope: readonly string[], runner: Runner = run): Promise<void> {
  await lvm('lvremove', scope, ['--yes', '--force', `${vg}/${lv}`], runner);
}

export async function vgremove(vg: string, scope: readonly string[], runner: Runner = run): Promise<void> {
  await lvm('vgremove', scope, ['--yes', '--force', vg], runner);
}

export async function pvremove(pv: string, scope: readonly string[], runner: Runner = run): Promise<void> {
  await lvm('pvremove', scope, ['--yes', '--force', '--force', pv], runner);
}
