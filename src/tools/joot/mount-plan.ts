// Where a joot's filesystems are mounted, remembered between enters. Inspecting the guest
// mounts and unmounts every filesystem (~130 ms of an enter); the remembered plan is used
// while the guest's /etc/fstab is byte for byte what it was, and any surprise (a device gone,
// a mount failing, fstab edited in the joot) falls back to a fresh inspection.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine } from '../../core/errors.js';
import { trace } from '../../core/run.js';
import type { Session } from '../../appliance/session.js';
// loaded when a plan is made: inspection is most of the holder's code, and a plan is reused

interface Plan {
  /** sha256 of the guest's /etc/fstab, or 'none' */
  fstab: string;
  /** mountpoint → device */
  mountpoints: Record<string, string>;
  /** device → filesystem UUID when the plan was made: a renumbered disk is not mistaken */
  uuids: Record<string, string>;
}

async function fstabHash(session: Session): Promise<string> {
  try {
    return createHash('sha256')
      .update(await session.readFile('/etc/fstab', { maxBytes: 1 << 20 }))
      .digest('hex');
  } catch {
    return 'none';
  }
}

function readPlan(file: string): Plan | undefined {
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Plan;
    return typeof p.fstab === 'string' && p.mountpoints && typeof p.mountpoints === 'object' && p.uuids && typeof p.uuids === 'object'
      ? p
      : undefined;
  } catch {
    return undefined;
  }
}

/** Is guest path `mp` below mountpoint `above`. */
function isBelow(mp: string, above: string): boolean {
  return above === '/' ? mp !== '/' : mp.startsWith(`${above}/`);
}

/**
 * Mount the plan's filesystems, each wave at once: those with no unmounted mountpoint above
 * them (/, then /boot and /home together, …). Every mount settles before an error is thrown.
 */
async function mountInWaves(plan: Plan, mount: (mp: string, dev: string) => Promise<void>): Promise<void> {
  let rest = Object.entries(plan.mountpoints);
  while (rest.length > 0) {
    const wave = rest.filter(([mp]) => !rest.some(([other]) => isBelow(mp, other)));
    const results = await Promise.allSettled(wave.map(([mp, dev]) => mount(mp, dev)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    rest = rest.filter((e) => !wave.includes(e));
  }
}

/** Mount the joot's guest read-write where it belongs, reusing the plan in JOOTDIR when valid. */
export async function mountJoot(session: Session, jootDir: string): Promise<void> {
  const file = join(jootDir, 'mounts.json');
  const plan = readPlan(file);
  if (plan?.mountpoints['/']) {
    try {
      await mountInWaves(plan, async (mp, dev) => {
        if ((await session.vfsUuid(dev)) !== plan.uuids[dev]) throw new Error(`${dev} is not the filesystem it was`);
        await session.mount(dev, mp, { readonly: false });
      });
      if ((await fstabHash(session)) === plan.fstab) return;
      trace('joot: the guest fstab changed: inspecting again');
    } catch (e) {
      trace(`joot: the remembered mounts did not work (${oneLine(e)}): inspecting again`);
    }
    await session.umountAll();
  }
  const { inspectMount } = await import('../../inspect/mount-inspected.js');
  const mountpoints = await inspectMount(session, { readonly: false, warn: (m) => trace(`warning: ${m}`) });
  const uuids: Record<string, string> = {};
  for (const dev of Object.values(mountpoints)) uuids[dev] = await session.vfsUuid(dev).catch(() => '');
  const fresh: Plan = { fstab: await fstabHash(session), mountpoints, uuids };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(fresh)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}
