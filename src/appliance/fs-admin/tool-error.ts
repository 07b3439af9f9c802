// Run an administration tool and, when it fails, turn its chatter into one line: the last
// line that says what went wrong, naming the device verbatim (callers rewrite host device
// names into guest names, so the path must appear as it was passed).
import { JootError, type JootErrorCode } from '../../core/errors.js';
import { factsOf, retryWhileBusy, run, type RunOptions, type RunResult } from '../../core/run.js';

export interface Command {
  cmd: string;
  args: string[];
}

// Lines that never explain a failure: version banners, usage dumps, advice, progress.
const NOISE = [
  /^\S+ \d+\.\d+(\.\d+)? \(\d+-\w+-\d{4}\)$/, // mke2fs 1.47.0 (5-Feb-2023)
  /^mkfs\.fat \d/,
  /^btrfs-progs v/,
  /^see https?:/i,
  /^note:/i,
  /^warning: it's recommended/i,
  /^the partition start sector|^the number of (sectors|heads)|^to boot from a device|^windows will not be able/i,
  /calling ioctl to re-read partition table/i,
  /^(developers'|news, support)/i,
];
const TELLING =
  /error|fail|cannot|can't|could not|couldn't|invalid|not allowed|no such|busy|in use|denied|too (long|small|large|big)|unsupported|not supported|bad |refus|must |only |unable|is mounted|corrupt|wrong/i;

/** The one line of a failed tool's output that says what went wrong. */
export function meaningfulLine(stderr: string, stdout = ''): string {
  const pick = (text: string): string | undefined => {
    const lines: string[] = [];
    for (const raw of text.split('\n')) {
      const l = raw.trim();
      if (/^usage:/i.test(l)) break; // everything after is the usage dump
      if (l !== '' && !NOISE.some((re) => re.test(l))) lines.push(l);
    }
    return [...lines].reverse().find((l) => TELLING.test(l)) ?? lines[lines.length - 1];
  };
  return pick(stderr) ?? pick(stdout) ?? 'no output';
}

/** `tool dev: what went wrong` (the device only once, if the tool already named it). */
export function toolMessage(cmd: string, device: string, stderr: string, stdout = '', exitCode?: number): string {
  let line = meaningfulLine(stderr, stdout)
    .replace(new RegExp(`^${cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\s*`), '')
    .replace(/^(ERROR|error|Error):\s*/, '');
  if (line === 'no output' && exitCode !== undefined) line = `failed (exit ${exitCode})`;
  return line.includes(device) ? `${cmd}: ${line}` : `${cmd} ${device}: ${line}`;
}

export function errorCodeFor(message: string): JootErrorCode {
  if (/busy|in use|is mounted|mounted filesystem/i.test(message)) return 'EBUSY';
  return 'ECMD';
}

export function toolError(c: Command, device: string, r: RunResult): JootError {
  const msg = toolMessage(c.cmd, device, r.stderr, r.stdout, r.exitCode);
  return new JootError(errorCodeFor(msg), msg, factsOf(r));
}

/**
 * Run one tool on `device`, throwing a one-line error on failure. `okExit` lists exit codes
 * that are answers rather than failures (fsck's bits). A device that is busy for a moment
 * (udev's blkid after the last close) is retried.
 */
export async function runTool(c: Command, device: string, opts: RunOptions & { okExit?: number[] } = {}): Promise<RunResult> {
  const ok = new Set([0, ...(opts.okExit ?? [])]);
  return retryWhileBusy(async () => {
    const r = await run(c.cmd, c.args, { ...opts, allowFailure: true, input: opts.input ?? '' });
    if (!ok.has(r.exitCode)) throw toolError(c, device, r);
    return r;
  }, `${c.cmd} ${device}`);
}
