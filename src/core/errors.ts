// One error class for the whole toolkit. `code` is stable and meant for programs;
// `message` is one line meant for people (the CLIs print it after "tool: "). The facts a
// program may want to act on (which command failed, how, which guest path) are fields, so
// nobody has to read them back out of the message (execa's makeError is the model).

export type JootErrorCode =
  | 'ENOENT' // a file or guest path does not exist
  | 'EINVAL' // bad argument or bad input file
  | 'EFORMAT' // not a usable disk image / corrupt structure
  | 'EBUSY' // something holds the image or device
  | 'EUNSUPPORTED' // valid, but this host or joot cannot do it
  | 'ECMD' // an external command failed
  | 'ESTATE' // called in the wrong session state (e.g. before launch)
  | 'EPERM' // refused for safety
  | 'EEXIST' // the name is taken (a mapper name, a file)
  | 'EKEY' // no key slot accepts the passphrase
  | 'EINTR' // interrupted by the user
  | 'ESANDBOX' // needs to run outside the read-only tools' sandbox (core/sandbox.ts)
  | 'EIO'; // reading or writing failed

/** What is known about a failure besides its one-line message. */
export interface ErrorFacts {
  cause?: unknown;
  /** the external command that failed, as run (program and arguments) */
  command?: readonly string[];
  /** its exit status; absent when it never started or was killed by a signal */
  exitCode?: number;
  /** the signal that killed it (SIGKILL, …) */
  signal?: string;
  /** the last of its stderr (at most STDERR_TAIL characters) */
  stderr?: string;
  /** it was killed because it ran past its time limit */
  timedOut?: boolean;
  /** the errno of a command that could not be started (ENOENT: the program is not installed) */
  spawnErrno?: string;
  /** the guest path the error is about */
  guestPath?: string;
  /** the guest device the error is about (/dev/md127, /dev/VG/LV; a filesystem's, as mounted: /dev/sda1) */
  device?: string;
  /** the kernel facility this host lacks (md, device-mapper) */
  missing?: string;
}

/** How much of a failed command's stderr an error keeps. */
export const STDERR_TAIL = 8192;

const FACT_KEYS = ['command', 'exitCode', 'signal', 'stderr', 'timedOut', 'spawnErrno', 'guestPath', 'device', 'missing'] as const;

export class JootError extends Error {
  readonly code: JootErrorCode;
  // declared, not initialised: a fact not given is no property at all
  declare readonly command?: readonly string[];
  declare readonly exitCode?: number;
  declare readonly signal?: string;
  declare readonly stderr?: string;
  declare readonly timedOut?: boolean;
  declare readonly spawnErrno?: string;
  declare readonly guestPath?: string;
  declare readonly device?: string;
  declare readonly missing?: string;
  constructor(code: JootErrorCode, message: string, options?: ErrorFacts) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'JootError';
    this.code = code;
    // only the facts given become properties: an error without them looks as it always did
    if (options) {
      const self = this as unknown as Record<string, unknown>;
      for (const k of FACT_KEYS) {
        const v = k === 'stderr' && options.stderr !== undefined ? options.stderr.slice(-STDERR_TAIL) : options[k];
        if (v !== undefined) self[k] = v;
      }
    }
  }

  /** The facts of this error (not its code or message), to carry over to an error made from it. */
  facts(): ErrorFacts {
    const out: Record<string, unknown> = {};
    for (const k of FACT_KEYS) if (this[k] !== undefined) out[k] = this[k];
    if ('cause' in this) out.cause = this.cause;
    return out as ErrorFacts;
  }

  /** The same error (code, facts, cause) told in other words. */
  withMessage(message: string, code: JootErrorCode = this.code): JootError {
    return new JootError(code, message, this.facts());
  }
}

export function isJootError(e: unknown, code?: JootErrorCode): e is JootError {
  return e instanceof JootError && (code === undefined || e.code === code);
}

/** The errno name (ENOENT, EACCES, …) of a thrown host error, if it has one. */
export function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}

/** An external command failed because its program is not installed (spawn said ENOENT). */
export function isMissingProgram(e: unknown): boolean {
  return e instanceof JootError && e.spawnErrno === 'ENOENT';
}

/** A one-line message for any thrown value: what the CLIs print. */
export function oneLine(e: unknown): string {
  const denied = accessDenied(e);
  if (denied) return denied;
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, '; ').trim();
}

/** Node's ERR_ACCESS_DENIED (the sandbox refused it: core/sandbox.ts), as a line naming the path. */
function accessDenied(e: unknown, depth = 0): string | undefined {
  const x = e as { code?: unknown; resource?: unknown; permission?: unknown; cause?: unknown } | null;
  if (typeof x !== 'object' || x === null || depth > 8) return undefined;
  // wrapped (`cannot open …`, with the denial as its cause): the denial is the news
  if (x.code !== 'ERR_ACCESS_DENIED') return accessDenied(x.cause, depth + 1);
  const what = typeof x.resource === 'string' && x.resource !== '' ? x.resource : String(x.permission ?? 'this');
  return `${what}: access refused by joot's sandbox (Node's permission model; JOOT_NO_SANDBOX=1 turns it off)`;
}
