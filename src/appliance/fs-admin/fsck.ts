// Checking and repairing filesystems: guestfish's fsck (returns fsck(8)'s exit status bits)
// and e2fsck (correct / forceall). Each type goes straight to its real checker, because the
// fsck(8) front end runs fsck.xfs and fsck.btrfs, which check nothing and always succeed;
// each checker's exit code is turned into fsck(8)'s bits.
import { JootError } from '../../core/errors.js';
import { hostHas } from './host-tools.js';
import { runTool, toolMessage, type Command } from './tool-error.js';
import { isExt, normalizeFsType, type FsType } from './types.js';

export interface FsckOptions {
  /** repair what can be repaired without questions (fsck -a); default: check only, change nothing */
  repair?: boolean;
  /** check even a filesystem marked clean (ext*: -f; the other checkers always check) */
  force?: boolean;
}

/** fsck(8) exit status bits */
export const FSCK_OK = 0;
export const FSCK_CORRECTED = 1;
export const FSCK_REBOOT = 2;
export const FSCK_UNCORRECTED = 4;
export const FSCK_OPERATIONAL = 8;

export interface FsckResult {
  /** fsck(8) exit status: 0 clean, 1 errors corrected, 2 reboot needed, 4 errors left uncorrected */
  status: number;
  /** the checker that ran */
  tool: string;
  /** its output, stdout then stderr */
  output: string;
}

export interface FsckPlan extends Command {
  /** exit codes of the checker that are answers, not failures */
  okExit: number[];
  /** the checker's exit code → fsck(8) bits (≥ 8: could not check: thrown) */
  status(exitCode: number, output: string): number;
}

// Output of a checker that exits 1 both for "found damage" and for "could not look at all".
const COULD_NOT_CHECK =
  /cannot open|can't open|couldn't|failed to open|no such file|resource busy|is mounted|contains a mounted|not a valid|no valid btrfs|signature is missing|bad magic number|fatal error/i;

export function fsckPlan(device: string, type: string, o: FsckOptions = {}): FsckPlan {
  const t: FsType = normalizeFsType(type);
  const repair = !!o.repair;
  if (isExt(t)) {
    // e2fsck's exit codes are fsck(8)'s
    const args = [repair ? '-p' : '-n', ...(o.force ? ['-f'] : []), device];
    return { cmd: 'e2fsck', args, okExit: [1, 2, 3, 4, 5, 6, 7], status: (c) => c };
  }
  switch (t) {
    case 'vfat':
      // fsck.fat: 0 clean, 1 errors found (and with -a fixed), 2 usage / could not read
      return {
        cmd: 'fsck.fat',
        args: [repair ? '-a' : '-n', device],
        okExit: [1],
        status: (c) => (c === 0 ? FSCK_OK : repair ? FSCK_CORRECTED : FSCK_UNCORRECTED),
      };
    case 'xfs':
      // xfs_repair: 0 clean (or repaired: it does not say which), 1 damage found, 2 a dirty
      // log it will not replay (mounting the filesystem replays it)
      return {
        cmd: 'xfs_repair',
        args: [...(repair ? [] : ['-n']), device],
        okExit: [1, 2],
        status: (c, out) => (c === 0 ? FSCK_OK : c === 1 && COULD_NOT_CHECK.test(out) ? FSCK_OPERATIONAL : FSCK_UNCORRECTED),
      };
    case 'btrfs':
      if (repair)
        throw new JootError(
          'EUNSUPPORTED',
          `btrfs: repair is not offered (btrfs check --repair is a last resort that can make damage worse); check only`,
        );
      return {
        cmd: 'btrfs',
        args: ['check', '--readonly', device],
        okExit: [1],
        status: (c, out) => (c === 0 ? FSCK_OK : COULD_NOT_CHECK.test(out) ? FSCK_OPERATIONAL : FSCK_UNCORRECTED),
      };
    case 'ntfs':
      // ntfsfix fixes only the basics (and marks the volume for a Windows chkdsk)
      return {
        cmd: 'ntfsfix',
        args: [...(repair ? [] : ['-n']), device],
        okExit: [1],
        status: (c, out) => (c === 0 ? FSCK_OK : COULD_NOT_CHECK.test(out) ? FSCK_OPERATIONAL : FSCK_UNCORRECTED),
      };
    case 'swap':
      throw new JootError('EUNSUPPORTED', `swap has no filesystem to check`);
  }
}

/** Check (and with `repair`, fix) the filesystem on `device`; ECMD when it could not be checked at all. */
export async function checkFilesystem(device: string, type: string, o: FsckOptions = {}): Promise<FsckResult> {
  const plan = fsckPlan(device, type, o);
  if (!hostHas(plan.cmd))
    throw new JootError('EUNSUPPORTED', `cannot check ${normalizeFsType(type)} filesystems on this host (${plan.cmd} is not installed)`);
  const r = await runTool(plan, device, { okExit: plan.okExit });
  const output = r.stdout + r.stderr;
  const status = plan.status(r.exitCode, output);
  if (status >= FSCK_OPERATIONAL) throw new JootError('ECMD', toolMessage(plan.cmd, device, r.stderr, r.stdout, r.exitCode));
  return { status, tool: plan.cmd, output };
}

export interface E2fsckOptions {
  /** fix what is safe without questions (-p) */
  correct?: boolean;
  /** answer yes to every question (-y): fixes everything, possibly losing data */
  forceall?: boolean;
}

/** guestfish e2fsck's argument list: always -f; neither option: -n (libguestfs would need a terminal) */
export function e2fsckArgs(device: string, o: E2fsckOptions = {}): string[] {
  if (o.correct && o.forceall) throw new JootError('EINVAL', `only one of the options 'correct', 'forceall' may be given`);
  return ['-f', o.correct ? '-p' : o.forceall ? '-y' : '-n', device];
}

/**
 * guestfish e2fsck: returns 0 (clean) or 1 (errors corrected); anything worse (errors
 * left, a check that could not run) is an ECMD error with e2fsck's own last words.
 */
export async function e2fsck(device: string, o: E2fsckOptions = {}): Promise<number> {
  const c: Command = { cmd: 'e2fsck', args: e2fsckArgs(device, o) };
  const r = await runTool(c, device, { okExit: [1, 2, 3, 4, 5, 6, 7] });
  if (r.exitCode >= 2) throw new JootError('ECMD', toolMessage('e2fsck', device, r.stderr, r.stdout, r.exitCode));
  return r.exitCode;
}
