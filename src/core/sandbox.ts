// The read-only tools (jinspect, jwinreg without --merge, jfish --ro) start under Node's
// permission model (bin/launch.sh gives the flags): they may read joot's own code, the
// configuration and the files named on the command line, and nothing else, so that a bug
// that makes joot open a host path a guest or an image chose fails with ERR_ACCESS_DENIED.
// Node 20 cannot widen or drop those permissions at run time. Work the sandbox cannot do but
// the user's trust allows (a backing file that named-path.ts's rule accepts, a helper process
// for vmdk/vdi/…, the kernel engine) throws leaveSandbox's error; the tool then runs itself
// again without the sandbox (tools/cli.ts), unless it already wrote or read what it cannot
// replay. Only code that has applied joot's own rule for the path may call leaveSandbox: an
// open refused elsewhere stays an error, never a reason to run again unguarded.
import { JootError } from './errors.js';

/** The environment variable that turns the sandbox off (set also for the run again). */
export const NO_SANDBOX_ENV = 'JOOT_NO_SANDBOX';

/** The error code of "this needs to run outside the sandbox". */
export const LEAVE_SANDBOX = 'ESANDBOX';

/** Is this process under Node's permission model? */
export function sandboxed(): boolean {
  return process.permission !== undefined;
}

/** May this process read `path` (always true outside the sandbox)? */
export function readableHere(path: string): boolean {
  return process.permission === undefined || process.permission.has('fs.read', path);
}

/** Outside the sandbox: nothing. Inside: the error that makes the tool run again without it. */
export function leaveSandbox(why: string): void {
  if (!sandboxed()) return;
  // once running again is impossible, the user is told how to do without the sandbox
  const how = committed === undefined ? '' : ` (${committed}: run it again with ${NO_SANDBOX_ENV}=1)`;
  throw new JootError(LEAVE_SANDBOX, `${why} needs to run outside joot's sandbox${how}`);
}

/** leaveSandbox, unless `path` may be read here. */
export function leaveSandboxToRead(path: string, what: string): void {
  if (!readableHere(path)) leaveSandbox(`reading ${what}`);
}

/** Is `e` leaveSandbox's error? */
export function isLeaveSandbox(e: unknown): boolean {
  return e instanceof JootError && e.code === LEAVE_SANDBOX;
}

let committed: string | undefined;

/**
 * From here on the tool cannot simply start again (it read stdin, or wrote output): a later
 * leaveSandbox is an error saying how to turn the sandbox off.
 */
export function commitSandbox(what: string): void {
  committed ??= what;
}

/** Why running again is no longer possible, or undefined while it is. */
export function sandboxCommitted(): string | undefined {
  return committed;
}
