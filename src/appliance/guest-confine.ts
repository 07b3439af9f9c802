// The last step before a guest program starts, inside its container (guest-exec.ts): the
// program must inherit nothing of the caller but its three stdio descriptors.
//
//   perl -e STARTER -- capsh --drop=… --chroot=ROOT --shell=PROG -- ARGS
//     ├ a new, empty session keyring (keyctl JOIN_SESSION_KEYRING): not the caller's
//     ├ a seccomp filter that makes keyctl, add_key and request_key fail with EPERM (as Docker's
//     │ default profile does): root's user keyring and every other keyring of the host are
//     │ reachable by uid 0 through those calls alone. Installed while we still hold
//     │ CAP_SYS_ADMIN (so no no_new_privs), before capsh drops it; a filter cannot be removed.
//     ├ a session of its own (setsid): never the caller's controlling terminal; with JOOT_TTY_PATH
//     │ (joot enter on a terminal: guest-tty.ts) the container's own pty as controlling terminal,
//     │ on the descriptors named by JOOT_TTY_FDS
//     ├ `ready` on fd 3 (the setup succeeded; what fails after this is the program's)
//     └ close every descriptor above 2 (close_range): a descriptor the caller left open without
//       CLOEXEC (a shell's `exec 50</`) would let the program fchdir out of the chroot
//
// Perl, not python or the shell: perl-base is always there on Debian, starts in ~10 ms (the warm
// `joot enter e -- true` pays it), and its syscall() calls what the shell cannot. The syscall
// numbers and the filter depend on the architecture: node knows it and passes them (JOOT_NR,
// JOOT_SECCOMP), so the perl side has no table.
import { endianness } from 'node:os';
import { JootError } from '../core/errors.js';

/** Audit architecture values (linux/audit.h) */
const AUDIT_ARCH = {
  x86_64: 0xc000003e,
  i386: 0x40000003,
  aarch64: 0xc00000b7,
  arm: 0x40000028,
  riscv64: 0xc00000f3,
  loongarch64: 0xc0000102,
  ppc64le: 0xc0000015,
  ppc64: 0x80000015,
  s390x: 0x80000016,
} as const;

/** add_key, request_key, keyctl */
type KeyCalls = readonly [number, number, number];
interface SeccompArch {
  arch: number;
  keyCalls: KeyCalls;
  /** clear this bit of the syscall number first (x32's calls on x86_64) */
  clearBit?: number;
}
interface HostArch {
  /** native syscall numbers the starter calls: keyctl, prctl, setsid, close_range */
  nr: { keyctl: number; prctl: number; setsid: number; closeRange: number };
  /** every ABI the host's kernel runs programs of */
  abis: SeccompArch[];
}

// the asm-generic table (arm64, riscv64, loongarch64)
const GENERIC_KEYS: KeyCalls = [217, 218, 219];
const GENERIC_NR = { keyctl: 219, prctl: 167, setsid: 157, closeRange: 436 };

const HOSTS: Record<string, HostArch> = {
  x64: {
    nr: { keyctl: 250, prctl: 157, setsid: 112, closeRange: 436 },
    abis: [
      { arch: AUDIT_ARCH.x86_64, keyCalls: [248, 249, 250], clearBit: 0x40000000 },
      { arch: AUDIT_ARCH.i386, keyCalls: [286, 287, 288] },
    ],
  },
  ia32: { nr: { keyctl: 288, prctl: 172, setsid: 66, closeRange: 436 }, abis: [{ arch: AUDIT_ARCH.i386, keyCalls: [286, 287, 288] }] },
  arm64: {
    nr: GENERIC_NR,
    abis: [
      { arch: AUDIT_ARCH.aarch64, keyCalls: GENERIC_KEYS },
      { arch: AUDIT_ARCH.arm, keyCalls: [309, 310, 311] },
    ],
  },
  arm: { nr: { keyctl: 311, prctl: 172, setsid: 66, closeRange: 436 }, abis: [{ arch: AUDIT_ARCH.arm, keyCalls: [309, 310, 311] }] },
  riscv64: { nr: GENERIC_NR, abis: [{ arch: AUDIT_ARCH.riscv64, keyCalls: GENERIC_KEYS }] },
  loong64: { nr: GENERIC_NR, abis: [{ arch: AUDIT_ARCH.loongarch64, keyCalls: GENERIC_KEYS }] },
  ppc64: {
    nr: { keyctl: 271, prctl: 171, setsid: 66, closeRange: 436 },
    abis: [{ arch: endianness() === 'LE' ? AUDIT_ARCH.ppc64le : AUDIT_ARCH.ppc64, keyCalls: [269, 270, 271] }],
  },
  s390x: { nr: { keyctl: 280, prctl: 172, setsid: 66, closeRange: 436 }, abis: [{ arch: AUDIT_ARCH.s390x, keyCalls: [278, 279, 280] }] },
};

// classic BPF (linux/filter.h, linux/seccomp.h)
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const AND_K = 0x54;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;
const EPERM = 1;
const OFF_NR = 0;
const OFF_ARCH = 4;

type Insn = [code: number, jt: number, jf: number, k: number];

/**
 * The seccomp program: for each ABI of the host, keyctl/add_key/request_key → EPERM, anything
 * else allowed; a call of an ABI not listed kills the process (it could name the key calls by
 * numbers this filter does not know).
 */
export function keyringFilter(arch: string = process.arch): Insn[] {
  const host = HOSTS[arch];
  if (!host) throw new JootError('EUNSUPPORTED', `guest programs cannot be confined on this architecture (${arch})`);
  const prog: Insn[] = [];
  for (const abi of host.abis) {
    const body: Insn[] = [[LD_W_ABS, 0, 0, OFF_NR]];
    if (abi.clearBit) body.push([AND_K, 0, 0, ~abi.clearBit >>> 0]);
    for (const [i, nr] of abi.keyCalls.entries()) body.push([JEQ_K, abi.keyCalls.length - i, 0, nr]);
    body.push([RET_K, 0, 0, RET_ALLOW], [RET_K, 0, 0, RET_ERRNO | EPERM]);
    prog.push([LD_W_ABS, 0, 0, OFF_ARCH], [JEQ_K, 0, body.length, abi.arch], ...body);
  }
  prog.push([RET_K, 0, 0, RET_KILL_PROCESS]);
  return prog;
}

/** struct sock_filter[] in the host's byte order, as hex (JOOT_SECCOMP) */
export function filterHex(prog: Insn[]): string {
  const le = endianness() === 'LE';
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    if (le) b.writeUInt16LE(code, i * 8);
    else b.writeUInt16BE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    if (le) b.writeUInt32LE(k >>> 0, i * 8 + 4);
    else b.writeUInt32BE(k >>> 0, i * 8 + 4);
  });
  return b.toString('hex');
}

/** The environment the starter reads (and removes before the program starts). */
export function confineEnv(arch: string = process.arch): Record<string, string> {
  const host = HOSTS[arch];
  if (!host) throw new JootError('EUNSUPPORTED', `guest programs cannot be confined on this architecture (${arch})`);
  const { keyctl, prctl, setsid, closeRange } = host.nr;
  return { JOOT_NR: `${keyctl} ${prctl} ${setsid} ${closeRange}`, JOOT_SECCOMP: filterHex(keyringFilter(arch)), JOOT_START: STARTER };
}

// Every failure is one line on stderr and exit 126 (the program did not start). Numbers given to
// syscall() get `+0` (perl passes a string as a pointer). TIOCSCTTY is 0x540E on every
// architecture above. close_range needs Linux 5.9: older kernels close what /proc/self/fd lists.
const STARTER = `use strict;
my ($keyctl, $prctl, $setsid, $close_range) = map { $_ + 0 } split / /, $ENV{JOOT_NR};
sub fail { syswrite STDERR, "$_[0]: $!\\n"; exit 126 }
syscall($keyctl, 1, 0) >= 0 or fail 'cannot join a new session keyring';
my $f = pack 'H*', $ENV{JOOT_SECCOMP};
my $prog = pack 'S x![P] P', length($f) / 8, $f;
syscall($prctl, 22, 2, $prog) == 0 or fail 'cannot install the seccomp filter';
syscall($setsid) >= 0 or fail 'cannot start a new session';
if (defined $ENV{JOOT_TTY_PATH}) {
  open(my $t, '+<', $ENV{JOOT_TTY_PATH}) or fail 'cannot open the terminal';
  ioctl($t, 0x540E, 0) or fail 'cannot take the terminal';
  for (split //, $ENV{JOOT_TTY_FDS} // '') {
    if ($_ eq '0') { open(STDIN, '<&', $t) or fail 'cannot use the terminal' }
    if ($_ eq '1') { open(STDOUT, '>&', $t) or fail 'cannot use the terminal' }
    if ($_ eq '2') { open(STDERR, '>&', $t) or fail 'cannot use the terminal' }
  }
}
open(my $ready, '>&=', 3) or fail 'no status pipe';
syswrite $ready, "ready\\n";
if (syscall($close_range, 3, 4294967295, 0) != 0) {
  opendir(my $d, '/proc/self/fd') or fail 'cannot list the open descriptors';
  my @fds = grep { /^\\d+$/ && $_ > 2 } readdir $d;
  closedir $d;
  for my $fd (@fds) { if (open(my $h, '<&=', $fd)) { close $h } }
}
delete @ENV{qw(JOOT_NR JOOT_SECCOMP JOOT_START JOOT_TTY_PATH JOOT_TTY_FDS)};
exec { $ARGV[0] } @ARGV;
fail "cannot run $ARGV[0]";
`;
