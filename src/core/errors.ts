// One error class for the whole toolkit. `code` is stable and meant for programs;
// `message` is one line meant for people (the CLIs print it after "tool: ").

export type JootErrorCode =
  | 'ENOENT' // a file or guest path does not exist
  | 'EINVAL' // bad argument or bad input file
  | 'EFORMAT' // not a usable disk image / corrupt structure
  | 'EBUSY' // something holds the image or device
  | 'EUNSUPPORTED' // valid, but this host or joot cannot do it
  | 'ECMD' // an external command failed
  | 'ESTATE' // called in the wrong session state (e.g. before launch)
  | 'EPERM' // refused for safety
  | 'EIO'; // reading or writing failed

export class JootError extends Error {
  readonly code: JootErrorCode;
  constructor(code: JootErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JootError';
    this.code = code;
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

/** A one-line message for any thrown value: what the CLIs print. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, '; ').trim();
}
