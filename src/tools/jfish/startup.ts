// What jfish does before the first command when -i or -m is given: launch, then mount the
// inspected operating system's filesystems (-i) or the ones named (-m), as guestfish does.
// Also the holder of jfish's session (Sessions), which `add` and `reopen` go through.
import { JootError, oneLine } from '../../core/errors.js';
import type { Session } from '../../appliance/index.js';
import type { MountSpec } from './argv.js';
import type { SessionHolder } from './command.js';

interface DriveRecord {
  path: string;
  format?: string;
  readonly: boolean;
}

/**
 * The session a jfish process works on, replaceable (`reopen`). It records every drive added
 * (-a and `add`) so that a new session can be opened on the same ones.
 */
export class Sessions implements SessionHolder {
  private readonly drives: DriveRecord[] = [];
  private current: Session;

  /** `make` creates an empty session (with jfish's options: -v). */
  constructor(private readonly make: () => Session) {
    this.current = make();
  }

  get session(): Session {
    return this.current;
  }

  addDrive(path: string, opts: { format?: string; readonly: boolean }): void {
    const d: DriveRecord =
      opts.format === undefined ? { path, readonly: opts.readonly } : { path, format: opts.format, readonly: opts.readonly };
    this.current.addDrive(path, { format: d.format, readonly: d.readonly });
    this.drives.push(d);
  }

  async reopen(): Promise<void> {
    const old = this.current;
    const launch = old.launched;
    await old.close();
    const next = this.make();
    for (const d of this.drives) next.addDrive(d.path, { format: d.format, readonly: d.readonly });
    this.current = next;
    if (launch) await next.launch();
  }

  /** Close the current session (everything it holds is released). */
  close(): Promise<void> {
    return this.current.close();
  }
}

export interface StartupOptions {
  inspector: boolean;
  mounts: readonly MountSpec[];
  readonly: boolean;
  /** -i: a filesystem this host cannot write mounted read-only with a notice (InspectMountOptions) */
  readonlyWhereUnwritable?: boolean;
  /** the guestfish lines (`Operating system: …`, `/dev/sda2 mounted on /`) */
  print?: (line: string) => void;
  /** warnings (a non-root filesystem that could not be mounted) */
  warn: (message: string) => void;
}

/** -m: mount each filesystem given, in order. */
export async function mountGiven(session: Session, mounts: readonly MountSpec[], readonly: boolean): Promise<void> {
  for (const m of mounts) {
    try {
      await session.mount(m.device, m.mountpoint, { readonly, options: m.options, vfstype: m.fstype });
    } catch (e) {
      throw new JootError(e instanceof JootError ? e.code : 'EIO', `-m ${m.device}:${m.mountpoint}: ${oneLine(e)}`, { cause: e });
    }
  }
}

/** Launch and mount, for -i / -m (which imply run); -N has launched already, as in guestfish. */
export async function startup(session: Session, opts: StartupOptions): Promise<void> {
  if (!opts.inspector && opts.mounts.length === 0) return;
  if (!session.launched) await session.launch();
  // inspection's code loads only for -i
  if (opts.inspector) await (await import('../../inspect/mount-inspected.js')).inspectMount(session, opts);
  await mountGiven(session, opts.mounts, opts.readonly);
}
