// Running the guest's own programs: `command`, `command-lines`, `sh`, `sh-lines`. The program
// runs chrooted in the mounted guest, in private namespaces, with a fresh /proc, a read-only
// /sys and a minimal /dev (appliance/guest-exec.ts). Refused on read-only sessions (a guest
// program may write anywhere) and on guests of another architecture (it could not run, or would
// need an emulator the host may not have).
import { JootError } from '../../core/errors.js';
import { splitCommandLine } from '../../core/words.js';
import { ARCH_BINARIES, canRun, detectArch, hostArch } from '../linux/arch.js';
import { defineOp, type OpContext, type OpTest } from '../../ops/op.js';

async function checkArch(ctx: OpContext): Promise<void> {
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
async function findProgram(ctx: OpContext, name: string): Promise<string> {
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
async function runInGuest(ctx: OpContext, argv: string[], lines: boolean): Promise<void> {
  if (ctx.readonly || ctx.session.readonly) {
    throw new JootError('EPERM', 'refused on a read-only session (--ro): guest programs may write to the disk');
  }
  const { root, mounts } = ctx.session.execRoot();
  await checkArch(ctx);
  const program = await findProgram(ctx, argv[0]!);
  let last = 0x0a; // the last byte written, for the -lines variants
  // the sandbox code loads when a guest program runs, not with jfish's command table
  const { guestExec, lastLine } = await import('../../appliance/guest-exec.js');
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
  if (r.signal) throw new JootError('ECMD', `killed by signal ${r.signal}${tail(lastLine(r.stderr))}`);
  if (r.exitCode !== 0) throw new JootError('ECMD', `exit status ${r.exitCode}${tail(lastLine(r.stderr))}`);
}

/** `: LAST STDERR LINE`, or nothing */
function tail(l: string): string {
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

// The program's output is content, written byte for byte as it comes ('stream'), as it was
// before these were records: guestfish's command/sh return a string, but a guest program's
// output need not be text and may be large. As guestfish prints that string, one newline
// follows it (stringResult); the -lines forms print a list, each line ending in one.
function commandOp<const N extends string>(name: N, lines: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'guest',
    args: [{ name: 'arguments', type: 'string' }],
    returns: 'stream',
    needsLaunch: true,
    writes: true,
    summary: lines ? 'run a guest program, printing its output line by line' : 'run a guest program',
    description: `Run a program of the guest. The one argument is split into words as jfish splits a line
    ("command \\"/bin/ls -l /\\""): the first word is the program (a guest path, or a name looked up in the
    PATH below; the program gets the path it was found at as argv[0]), the rest its arguments. ${lines ? 'Its output is printed line by line (a last line without a newline gets one). ' : 'Its output is printed as it comes, byte for byte, then one newline (guestfish prints the string it returns so). '}${HOW}`,
    stringResult: !lines,
    async impl(ctx, [text]) {
      const argv = splitCommandLine(text);
      if (argv.length === 0) throw new JootError('EINVAL', 'no program given');
      await runInGuest(ctx, argv, lines);
      return undefined;
    },
    tests,
  });
}

function shOp<const N extends string>(name: N, lines: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'guest',
    args: [{ name: 'command', type: 'string' }],
    returns: 'stream',
    needsLaunch: true,
    writes: true,
    summary: lines ? "run a command with the guest's /bin/sh, printing its output line by line" : "run a command with the guest's /bin/sh",
    description: `Run "/bin/sh -c command" in the guest, so the command may use the shell's syntax (pipes,
    redirections, ;). ${lines ? 'Its output is printed line by line (a last line without a newline gets one). ' : 'Its output is printed as it comes, byte for byte, then one newline (guestfish prints the string it returns so). '}${HOW}`,
    stringResult: !lines,
    async impl(ctx, [command]) {
      await runInGuest(ctx, ['/bin/sh', '-c', command], lines);
      return undefined;
    },
    guestfishDiffers: `libguestfs has no test for ${name}`,
    tests,
  });
}

/**
 * libguestfs's command tests run its c-api/test-command program, which prints a fixed output per
 * argument (1 to 11) and fails without one; here a shell script does the same on debian-usr, in
 * /DIR/test-command. `[argument, what command prints, what command-lines prints]`.
 */
const TEST_COMMAND_OUTPUTS: readonly [string, string, string][] = [
  ['1', 'Result1', 'Result1'],
  ['2', 'Result2\n', 'Result2'],
  ['3', '\nResult3', '\nResult3'],
  ['4', '\nResult4\n', '\nResult4'],
  ['5', '\nResult5\n\n', '\nResult5\n'],
  ['6', '\n\nResult6\n\n', '\n\nResult6\n'],
  ['7', '', ''],
  ['8', '\n', ''],
  ['9', '\n\n', '\n'],
  ['10', 'Result10-1\nResult10-2\n', 'Result10-1\nResult10-2'],
  ['11', 'Result11-1\nResult11-2', 'Result11-1\nResult11-2'],
];

function testCommandSetup(dir: string): string[][] {
  const cases = TEST_COMMAND_OUTPUTS.map(([arg, out]) => `${arg}) printf '${out.replace(/\n/g, '\\n')}' ;;`).join('\n');
  const script = `#!/bin/sh\ncase "$1" in\n${cases}\n*) exit 1 ;;\nesac\n`;
  return [
    ['mkdir', dir],
    ['write', `${dir}/test-command`, script],
    ['chmod', '0755', `${dir}/test-command`],
  ];
}

function libguestfsCommandTests(name: 'command' | 'command-lines'): OpTest[] {
  const dir = name === 'command' ? '/command' : '/command_lines';
  const tests: OpTest[] = TEST_COMMAND_OUTPUTS.map(([arg, out, lines], i) => ({
    from: 'libguestfs',
    disk: 'debian-usr',
    title: `${name} test-command ${arg} (its stand-in script)`,
    setup: testCommandSetup(`${dir}${i === 0 ? '' : i + 1}`),
    args: [`${dir}${i === 0 ? '' : i + 1}/test-command ${arg}`],
    expect: name === 'command' ? out : lines,
  }));
  if (name === 'command') {
    tests.push(
      {
        from: 'libguestfs',
        disk: 'debian-usr',
        title: 'command test-command without an argument fails',
        setup: testCommandSetup('/command12'),
        args: ['/command12/test-command'],
        error: /exit status 1/,
      },
      {
        from: 'libguestfs',
        disk: 'debian-usr',
        title: "a guest program's working directory is / (libguestfs's test-pwd)",
        setup: [
          ['mkdir', '/pwd'],
          ['write', '/pwd/test-pwd', '#!/bin/sh\nprintf %s "$(pwd)"\n'],
          ['chmod', '0755', '/pwd/test-pwd'],
        ],
        args: ['/pwd/test-pwd'],
        expect: '/',
      },
    );
  }
  return tests;
}

// debian-usr.raw is a Debian whose programs run ('sample' has programs without their libraries);
// 'fs' is an empty filesystem.
export const command = commandOp('command', false, [
  ...libguestfsCommandTests('command'),
  { disk: 'debian-usr', args: ["/bin/echo -n 'a b'"], expect: /^a b\n$/ },
  { disk: 'debian-usr', args: ['echo "x\\ty"'], expect: /^x\ty\n\n$/, title: 'a name is looked up in the PATH; "…" words decode escapes' },
  { args: ['/bin/true'], error: /^\/bin\/true: no such program in the guest$/ },
  { args: [''], error: /^no program given$/ },
  { disk: 'sample', readonly: true, args: ['/bin/echo'], error: /refused on a read-only session/ },
]);
export const commandLines = commandOp('command-lines', true, [
  ...libguestfsCommandTests('command-lines'),
  { disk: 'debian-usr', args: ['/bin/echo -n x'], expect: /^x\n$/, title: 'a last line gets its newline' },
  { args: ['nothing'], error: /^nothing: not found in the guest's PATH/ },
]);
export const sh = shOp('sh', false, [
  { disk: 'debian-usr', args: ['echo a | cat; printf b'], expect: /^a\nb\n$/ },
  { disk: 'debian-usr', args: ['echo a'], expect: /^a\n\n$/, title: 'a newline follows the output, as guestfish prints a string' },
  { disk: 'debian-usr', args: ['echo oops >&2; exit 3'], error: /^exit status 3: oops$/ },
  { disk: 'sample', readonly: true, args: ['true'], error: /refused on a read-only session/ },
]);
export const shLines = shOp('sh-lines', true, [{ disk: 'debian-usr', args: ['printf "a\\nb"'], expect: /^a\nb\n$/ }]);

export const records = [command, commandLines, sh, shLines] as const;
