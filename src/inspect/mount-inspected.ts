// Mount a guest as its inspected operating system says (jfish -i, joot's mounts): inspect, then
// mount the one OS's filesystems by its own mountpoints, in guestfish's order.
import type { Session } from '../appliance/session.js';
import { JootError, oneLine } from '../core/errors.js';
import { inspect } from './index.js';
import { rememberInspection } from './report-store.js';

export interface InspectMountOptions {
  /** mount read-only */
  readonly: boolean;
  /**
   * In a read-write session, mount a filesystem that cannot be written here (a volume decoded in
   * userspace: the host has no md or device-mapper) read-only, saying so through `warn`, instead
   * of failing (jfish -i: the guest stays usable to look at; joot, which must write, fails).
   */
  readonlyWhereUnwritable?: boolean;
  /** the guestfish lines (`Operating system: …`, `/dev/sda2 mounted on /`) */
  print?: (line: string) => void;
  /** warnings (a non-root filesystem that could not be mounted) */
  warn: (message: string) => void;
}

/** Mountpoints in the order they can be mounted: shortest first, then by name (guestfish's order). */
export function mountOrder(mountpoints: Record<string, string>): [string, string][] {
  return Object.entries(mountpoints).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Inspect and mount the one operating system found by its own mountpoints; returns them
 * (mountpoint → device). Throws JootError when there is none or more than one.
 */
export async function inspectMount(session: Session, opts: InspectMountOptions): Promise<Record<string, string>> {
  const report = await inspect(session, { applications: false, icon: false });
  rememberInspection(session, report, false);
  const oses = report.operatingsystems;
  if (oses.length === 0) throw new JootError('EINVAL', 'no operating system was found on the disk');
  if (oses.length > 1) {
    const roots = oses.map((o) => o.root).join(', ');
    throw new JootError(
      'EUNSUPPORTED',
      `multi-boot operating systems are not supported by the -i option (roots: ${roots}); use run and mount instead`,
    );
  }
  const os = oses[0]!;
  opts.print?.(`Operating system: ${os.product_name ?? 'unknown'}`);
  let failed = 0;
  for (const [mp, dev] of mountOrder(os.mountpoints)) {
    try {
      const why = opts.readonly || !opts.readonlyWhereUnwritable ? undefined : session.unwritable(dev);
      await session.mount(dev, mp, { readonly: opts.readonly || why !== undefined });
      if (why) opts.warn(`${why}: mounted on ${mp} read-only`);
      opts.print?.(`${dev} mounted on ${mp}`);
    } catch (e) {
      if (mp === '/') throw e; // nothing can be used without the root
      opts.warn(`${dev} on ${mp}: ${oneLine(e)}`);
      failed++;
    }
  }
  if (failed) opts.warn('some filesystems could not be mounted (ignored)');
  return os.mountpoints;
}
