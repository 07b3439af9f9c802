// The pure parts of running guest programs: how `command` splits its string, the architecture
// check, and the command line that builds the container (guest data only ever as arguments).
import { describe, expect, it } from 'vitest';
import {
  DROPPED_CAPS,
  PREPARE_SCRIPT,
  PROCESS_SCRIPT,
  SETUP_SCRIPT,
  guestEnv,
  guestExecCommand,
  lastLine,
} from '../../src/appliance/guest-exec.js';
import { confineEnv, filterHex, keyringFilter } from '../../src/appliance/guest-confine.js';
import { relayCommand } from '../../src/appliance/guest-tty.js';
import { splitCommandLine } from '../../src/core/words.js';
import { canRun, hostArch } from '../../src/inspect/linux/arch.js';

describe('splitCommandLine', () => {
  it('splits with jfish word rules', () => {
    expect(splitCommandLine('/bin/ls -l /')).toEqual(['/bin/ls', '-l', '/']);
    expect(splitCommandLine(`  echo 'a b'\t"c\\td" `)).toEqual(['echo', 'a b', 'c\td']);
    expect(splitCommandLine('')).toEqual([]);
  });
  it('keeps | and # as ordinary characters', () => {
    expect(splitCommandLine('echo a|b |c  | d # e')).toEqual(['echo', 'a|b', '|c', '|', 'd', '#', 'e']);
    expect(splitCommandLine('echo "|x"')).toEqual(['echo', '|x']);
  });
  it('refuses bad quoting', () => {
    expect(() => splitCommandLine('echo "a')).toThrow(/unterminated/);
  });
});

describe('architecture', () => {
  it('names the host as virt-inspector does', () => {
    expect(hostArch('x64')).toBe('x86_64');
    expect(hostArch('arm64')).toBe('aarch64');
    expect(hostArch('ppc64', true)).toBe('ppc64le');
    expect(hostArch('ppc64', false)).toBe('ppc64');
  });
  it('runs the same architecture, and i386 on x86_64 only', () => {
    expect(canRun('x86_64', 'x86_64')).toBe(true);
    expect(canRun('x86_64', 'i386')).toBe(true);
    expect(canRun('x86_64', 'aarch64')).toBe(false);
    expect(canRun('aarch64', 'x86_64')).toBe(false);
    expect(canRun('aarch64', 'arm')).toBe(false);
  });
});

describe('guestExecCommand', () => {
  const mounts = [
    { mountpoint: '/', hostTarget: '/run/joot/tmp/s/sysroot', readonly: false },
    { mountpoint: '/usr', hostTarget: '/run/joot/tmp/s/sysroot/usr', readonly: true },
  ];
  it('unshares every namespace, dies with joot, and passes guest data as arguments only', () => {
    const hostile = `$(reboot); "'\`x\``;
    const { cmd, args } = guestExecCommand({ root: '/run/joot/tmp/s/sysroot', mounts, argv: ['/bin/sh', '-c', hostile] });
    expect(cmd).toBe('setpriv');
    expect(args.slice(0, 3)).toEqual(['--pdeathsig', 'KILL', '--']);
    expect(args).toEqual(expect.arrayContaining(['--fork', '--kill-child', '--pid', '--mount', '--uts', '--ipc', '--net']));
    const script = args.indexOf(SETUP_SCRIPT);
    expect(args[script - 1]).toBe('-c');
    expect(args.slice(script + 1)).toEqual([
      'joot-guest-exec',
      '/run/joot/tmp/s/sysroot',
      'rw',
      '/run/joot/tmp/s/sysroot',
      'ro',
      '/run/joot/tmp/s/sysroot/usr',
      '--',
      '/bin/sh',
      '-c',
      hostile,
    ]);
    expect(SETUP_SCRIPT).not.toContain('reboot');
  });
  it('keeps the guest mounts nosuid,nodev and never binds the host /dev', () => {
    expect(SETUP_SCRIPT).toContain('remount,bind,exec,nosuid,nodev,$1');
    expect(SETUP_SCRIPT).not.toMatch(/bind[^\n]*\/dev"/);
    expect(SETUP_SCRIPT).toMatch(/mount -t tmpfs [^\n]*"\$d"/);
    // a devpts of its own, always: never the host's /dev/pts
    expect(SETUP_SCRIPT).toContain('mount -t devpts -o newinstance,');
    expect(SETUP_SCRIPT).not.toMatch(/--r?bind \/dev\/pts/);
    expect(SETUP_SCRIPT).not.toContain('JOOT_HOST_PTS');
    expect(DROPPED_CAPS).toEqual(
      expect.arrayContaining(['cap_sys_admin', 'cap_sys_chroot', 'cap_mknod', 'cap_sys_module', 'cap_sys_rawio']),
    );
  });
  it('on a prepared tree (joot enter): joins the holder, runs only the per-program part', () => {
    const { args } = guestExecCommand({
      root: '/run/joot/tmp/s/container',
      mounts: [],
      prepared: true,
      joinMountNs: 42,
      network: true,
      argv: ['true'],
    });
    expect(args.slice(3, 6)).toEqual(['nsenter', '--mount=/proc/42/ns/mnt', '--']);
    expect(args).not.toContain('--net');
    const script = args.indexOf(PROCESS_SCRIPT);
    expect(args.slice(script + 1)).toEqual(['joot-guest-exec', '/run/joot/tmp/s/container', 'true']);
    // the two parts make jfish's whole script: the same setup either way
    expect(SETUP_SCRIPT).toContain(PREPARE_SCRIPT.slice(PREPARE_SCRIPT.indexOf('while')));
    expect(SETUP_SCRIPT.endsWith(PROCESS_SCRIPT.slice(PROCESS_SCRIPT.indexOf('if realdir proc')))).toBe(true);
    expect(PROCESS_SCRIPT).toContain('mount -t proc');
    expect(PROCESS_SCRIPT).not.toContain('mknod');
    expect(PREPARE_SCRIPT).not.toContain('capsh');
  });
  it('refuses an empty program and NUL bytes', () => {
    expect(() => guestExecCommand({ root: '/r', mounts, argv: [] })).toThrow(/no program/);
    expect(() => guestExecCommand({ root: '/r', mounts, argv: ['/bin/echo', 'a\0b'] })).toThrow(/NUL/);
  });
  it('gives the guest a clean environment', () => {
    expect(guestEnv('xterm')).toEqual({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C', TERM: 'xterm' });
    expect(guestEnv()).not.toHaveProperty('TERM');
  });
  it('reports the last non-empty line of stderr', () => {
    expect(lastLine('a\nb\n\n  \n')).toBe('b');
    expect(lastLine('')).toBe('');
  });
});

// a classic-BPF interpreter for the few instructions the filter uses
function runFilter(prog: ReturnType<typeof keyringFilter>, arch: number, nr: number): number {
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const [code, jt, jf, k] = prog[pc]!;
    if (code === 0x20) a = k === 0 ? nr : k === 4 ? arch : NaN;
    else if (code === 0x54) a = (a & k) >>> 0;
    else if (code === 0x15) pc += a === k ? jt : jf;
    else if (code === 0x06) return k >>> 0;
    else throw new Error(`unknown instruction ${code}`);
  }
  throw new Error('fell off the end');
}

describe('the starter (guest-confine.ts)', () => {
  const ALLOW = 0x7fff0000;
  const EPERM = 0x00050001;
  const X86_64 = 0xc000003e;
  const I386 = 0x40000003;
  it('denies add_key, request_key and keyctl in every ABI of the host, and nothing else', () => {
    const prog = keyringFilter('x64');
    for (const nr of [248, 249, 250, 0x40000000 + 250]) expect(runFilter(prog, X86_64, nr)).toBe(EPERM);
    for (const nr of [286, 287, 288]) expect(runFilter(prog, I386, nr)).toBe(EPERM);
    for (const nr of [0, 1, 59, 157, 251, 436]) expect(runFilter(prog, X86_64, nr)).toBe(ALLOW);
    expect(runFilter(prog, I386, 250)).toBe(ALLOW); // i386's 250 is not a key call
    expect(runFilter(prog, 0xc00000b7, 219)).toBe(0x80000000); // an ABI it does not know: killed
    const arm = keyringFilter('arm64');
    expect(runFilter(arm, 0xc00000b7, 219)).toBe(EPERM);
    expect(runFilter(arm, 0x40000028, 311)).toBe(EPERM);
    expect(runFilter(arm, 0xc00000b7, 250)).toBe(ALLOW);
    expect(() => keyringFilter('mips')).toThrow(/cannot be confined/);
  });
  it('hands perl the filter as struct sock_filter, and the syscall numbers', () => {
    expect(filterHex([[0x06, 1, 2, 0x7fff0000]])).toBe('060001020000ff7f');
    const env = confineEnv('x64');
    expect(env.JOOT_NR).toBe('250 157 112 436');
    expect(env.JOOT_SECCOMP).toBe(filterHex(keyringFilter('x64')));
    expect(env.JOOT_START).toContain('close_range');
    // the last step of the setup, in every mode
    expect(SETUP_SCRIPT).toContain('exec perl -e "$JOOT_START" -- capsh');
    expect(PROCESS_SCRIPT).toContain('exec perl -e "$JOOT_START" -- capsh');
  });
  it('masks the host keys in the container proc', () => {
    expect(PROCESS_SCRIPT).toMatch(/for p in keys key-users; do[\s\S]*mount --bind -o ro \/dev\/null "\$root\/proc\/\$p"/);
  });
  it('runs a terminal program behind the relay, the container as its argument', () => {
    const { cmd, args } = relayCommand('/r', 'setpriv', ['--pdeathsig', 'KILL']);
    expect(cmd).toBe('setpriv');
    expect(args.slice(0, 8)).toEqual(['--pdeathsig', 'TERM', '--', 'python3', '-I', '-S', '-c', expect.stringContaining('TIOCGPTN')]);
    expect(args.slice(8)).toEqual(['/r', '--', 'setpriv', '--pdeathsig', 'KILL']);
  });
});
