// Running the guest's own programs: `command`, `command-lines`, `sh`, `sh-lines`. The program
// runs chrooted in the mounted guest, in private namespaces, with a fresh /proc, a read-only
// /sys and a minimal /dev (appliance/guest-exec.ts). Refused on read-only sessions (a guest
// program may write anywhere) and on guests of another architecture (it could not run, or would
// need an emulator the host may not have).
import { endianness } from 'node:os';
import { JootError } from '../../core/errors.js';
import { guestExec, lastLine } from '../../appliance/guest-exec.js';
import { ARCH_BINARIES, detectArch } from '../linux/arch.js';
import { defineCommand, type Ctx } from '../../ops/record.js';
import { isBlank, lexLine } from '../../tools/jfish/lexer.js';

/**
 * Split `command`'s one string into argv with jfish's own word rules (lexer.ts): blanks
 * separate words, '…' quotes literally, "…" with C escapes. Inside the string a `|` is an
 * ordinary character, not the start of a host pipeline.
 */
export function splitCommandLine(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  for (;;) {
    const line = lexLine(`x ${rest}`);
    if (line.kind !== 'command') return out;
    out.push(...line.args);
    if (line.pipe === undefined) return out;
    let j = 0;
    while (j < line.pipe.length && !isBlank(line.pipe[j])) j++;
    out.push(`|${line.pipe.slice(0, j)}`);
    rest = line.pipe.slice(j);
  }
}

/** The host's architecture in virt-inspector's names (those elfArch returns). */
export function hostArch(arch: string = process.arch, le = endianness() === 'LE'): string {
  const names: Record<string, string> = {
    x64: 'x86_64',
    ia32: 'i386',
    arm64: 'aarch64',
    arm: 'arm',
    ppc64: le ? 'ppc64le' : 'ppc64',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loongarch64',
    mips: 'mips',
    mipsel: 'mipsel',
  };
  return names[arch] ?? arch;
}

/** Whether a host of architecture `host` runs `guest` binaries natively. */
export function canRun(host: string, guest: string): boolean {
  return guest === host || (host === 'x86_64' && guest === 'i386');
}

async function checkArch(ctx: Ctx): Promise<void> {
  const guest = await detectArch(ctx.session.reader, { candidates: ['/bin/sh', '/usr/bin/env', ...ARCH_BINARIES] });
  const host = hostArch();
  // no ELF binary found: let the program try (the kernel's "Exec format error" then explains)
  if (guest !== undefined && !canRun(host, guest)) {
    throw new JootError('EUNSUPPORTED', `the guest is ${guest}, this host is ${host}: cannot run its programs`);
  }
}

const GUEST_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The guest path of the program to run: argv[0] itself when it has a slash, else the first
 * match in the guest's PATH (the program is exec'd by path, not looked up). Checked here, where
 * the error can say what is missing; the kernel's own error comes back without its errno.
 */
async function findProgram(ctx: Ctx, name: string): Promise<string> {
  const candidates = name.includes('/') ? [name.startsWith('/') ? name : `/${name}`] : GUEST_PATH.map((d) => `${d}/${name}`);
  for (const c of candidates) {
    const st = await ctx.session.stat(c).catch(() => undefined); // follows guest symlinks inside the guest
    if (st?.isFile) {
      if ((st.mode & 0o111) === 0) throw new JootError('EPERM', `${c}: not executable`);
      return c;
    }
  }
  throw new JootError(
    'ENOENT',
    name.includes('/') ? `${name}: no such program in the guest` : `${name}: not found in the guest's PATH (${GUEST_PATH.join(':')})`,
  );
}

/** Run argv in the guest; stdout to jfish's output (with a final newline when `lines`). */
async function runInGuest(ctx: Ctx, argv: string[], lines: boolean): Promise<void> {
  if (ctx.readonly || ctx.session.readonly) {
    throw new JootError('EPERM', 'refused on a read-only session (--ro): guest programs may write to the disk');
  }
  const { root, mounts } = ctx.session.execRoot();
  await checkArch(ctx);
  const program = await findProgram(ctx, argv[0]!);
  let last = 0x0a; // the last byte written, for the -lines variants
  const r = await guestExec({
    root,
    mounts,
    argv: [program, ...argv.slice(1)],
    term: process.env.TERM,
    stdout: async (chunk) => {
      if (chunk.length) last = chunk[chunk.length - 1]!;
      await ctx.out.write(chunk);
    },
    stdoutClosed: () => ctx.out.closed,
  });
  if (lines && last !== 0x0a) await ctx.out.write('\n');
  if (r.signal) throw new JootError('ECMD', `killed by signal ${r.signal}${tail(r.stderr)}`);
  if (r.exitCode !== 0) throw new JootError('ECMD', `exit status ${r.exitCode}${tail(r.stderr)}`);
}

function tail(stderr: string): string {
  const l = lastLine(stderr);
  return l ? `: ${l}` : '';
}

const HOW = `The program runs as root, chrooted in the mounted guest (mount its filesystems first, or use
    -i), in private mount, PID, IPC, UTS and network namespaces: a fresh /proc, /sys read-only, and a
    /dev of its own with only null, zero, full, random, urandom, tty, pts and shm (never the host's
    disks). The guest's filesystems are executable for the program (they stay noexec for the rest of
    the session), never suid or dev; capabilities that reach beyond the guest (mount, chroot, mknod,
    modules, raw I/O, …) are dropped; there is no network. The environment is PATH=/usr/sbin:/usr/bin:/sbin:/bin,
    HOME=/root, LANG=C and the host's TERM; stdin is empty. When the program exits, everything it
    started is killed and every mount made for it is gone. A non-zero exit is an error with the exit
    status and the last line of the program's stderr (stderr is otherwise not shown). Refused on a
    read-only session (--ro) and on a guest of another architecture.`;

function commandCmd(name: string, lines: boolean) {
  return defineCommand({
    name,
    group: 'guest',
    args: [{ name: 'arguments', type: 'string' }],
    needsLaunch: true,
    summary: lines ? 'run a guest program, printing its output line by line' : 'run a guest program',
    description: `Run a program of the guest. The one argument is split into words as jfish splits a line
    ("command \\"/bin/ls -l /\\""): the first word is the program (a guest path, or a name looked up in the
    PATH below; the program gets the path it was found at as argv[0]), the rest its arguments. ${lines ? 'Its output is printed line by line (a last line without a newline gets one). ' : 'Its output is printed as it comes, byte for byte. '}${HOW}`,
    async run(ctx, [text]) {
      const argv = splitCommandLine(text);
      if (argv.length === 0) throw new JootError('EINVAL', 'no program given');
      await runInGuest(ctx, argv, lines);
    },
  });
}

function shCmd(name: string, lines: boolean) {
  return defineCommand({
    name,
    group: 'guest',
    args: [{ name: 'command', type: 'string' }],
    needsLaunch: true,
    summary: lines ? "run a command with the guest's /bin/sh, printing its output line by line" : "run a command with the guest's /bin/sh",
    description: `Run "/bin/sh -c command" in the guest, so the command may use the shell's syntax (pipes,
    redirections, ;). ${lines ? 'Its output is printed line by line (a last line without a newline gets one). ' : 'Its output is printed as it comes, byte for byte. '}${HOW}`,
    async run(ctx, [command]) {
      await runInGuest(ctx, ['/bin/sh', '-c', command], lines);
    },
  });
}

export const command = commandCmd('command', false);
export const commandLines = commandCmd('command-lines', true);
export const sh = shCmd('sh', false);
export const shLines = shCmd('sh-lines', true);

export const commands = [command, commandLines, sh, shLines];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
