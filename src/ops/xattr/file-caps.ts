// Linux file capabilities as guestfish's cap-get-file / cap-set-file see them: the
// security.capability xattr (struct vfs_cap_data, revisions 1 to 3) and libcap's text form
// (cap_to_text / cap_from_text, as getcap prints and setcap reads: "cap_chown,cap_kill=ep").
// Parsed here rather than through libcap: the value is guest data (lengths checked), and
// the text must not depend on the host's kernel or libcap version.
import { JootError } from '../../core/errors.js';

/** Capability names by number (linux/capability.h up to CAP_CHECKPOINT_RESTORE, Linux 5.9). */
export const CAP_NAMES: readonly string[] = [
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'linux_immutable',
  'net_bind_service',
  'net_broadcast',
  'net_admin',
  'net_raw',
  'ipc_lock',
  'ipc_owner',
  'sys_module',
  'sys_rawio',
  'sys_chroot',
  'sys_ptrace',
  'sys_pacct',
  'sys_admin',
  'sys_boot',
  'sys_nice',
  'sys_resource',
  'sys_time',
  'sys_tty_config',
  'mknod',
  'lease',
  'audit_write',
  'audit_control',
  'setfcap',
  'mac_override',
  'mac_admin',
  'syslog',
  'wake_alarm',
  'block_suspend',
  'audit_read',
  'perfmon',
  'bpf',
  'checkpoint_restore',
].map((n) => `cap_${n}`);

/** The capabilities a file carries: 64-bit sets (bit n = capability n). */
export interface FileCaps {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  /** revision 3's namespace root uid (0 for revisions 1 and 2) */
  rootid: number;
}

const XATTR_NAME = 'security.capability';
export { XATTR_NAME as CAP_XATTR };

const REVISION_MASK = 0xff000000;
const FLAG_EFFECTIVE = 0x000001;
const REV1 = 0x01000000;
const REV2 = 0x02000000;
const REV3 = 0x03000000;
const ALL64 = (1n << 64n) - 1n;

/** The xattr value → capability sets; `what` names the file in errors. */
export function decodeFileCaps(b: Buffer, what: string): FileCaps {
  const bad = (why: string) => new JootError('EINVAL', `${what}: malformed security.capability attribute (${why})`);
  if (b.length < 4) throw bad(`${b.length} bytes`);
  const magic = b.readUInt32LE(0);
  const rev = magic & REVISION_MASK;
  const size = rev === REV1 ? 12 : rev === REV2 ? 20 : rev === REV3 ? 24 : 0;
  if (size === 0) throw bad(`revision 0x${(rev >>> 24).toString(16)}`);
  if (b.length !== size) throw bad(`${b.length} bytes for revision ${rev >>> 24}`);
  if ((magic & ~REVISION_MASK & ~FLAG_EFFECTIVE) !== 0) throw bad('unknown flags');
  let permitted = BigInt(b.readUInt32LE(4));
  let inheritable = BigInt(b.readUInt32LE(8));
  if (size >= 20) {
    permitted |= BigInt(b.readUInt32LE(12)) << 32n;
    inheritable |= BigInt(b.readUInt32LE(16)) << 32n;
  }
  // one effective bit: when set, every permitted or inheritable capability is effective
  const effective = magic & FLAG_EFFECTIVE ? permitted | inheritable : 0n;
  return { effective, permitted, inheritable, rootid: size === 24 ? b.readUInt32LE(20) : 0 };
}

/** Capability sets → the xattr value libcap writes (revision 2; 3 when a root uid is set). */
export function encodeFileCaps(c: FileCaps): Buffer {
  const union = c.permitted | c.inheritable;
  // the file format has one effective bit, so effective is all of permitted|inheritable or nothing
  if (c.effective !== 0n && c.effective !== union) {
    throw new JootError(
      'EINVAL',
      'Invalid argument: effective file capabilities must be empty or exactly the permitted and inheritable ones',
    );
  }
  const v3 = c.rootid !== 0;
  const b = Buffer.alloc(v3 ? 24 : 20);
  b.writeUInt32LE(((v3 ? REV3 : REV2) | (c.effective !== 0n ? FLAG_EFFECTIVE : 0)) >>> 0, 0);
  b.writeUInt32LE(Number(c.permitted & 0xffffffffn), 4);
  b.writeUInt32LE(Number(c.inheritable & 0xffffffffn), 8);
  b.writeUInt32LE(Number((c.permitted >> 32n) & 0xffffffffn), 12);
  b.writeUInt32LE(Number((c.inheritable >> 32n) & 0xffffffffn), 16);
  if (v3) b.writeUInt32LE(c.rootid, 20);
  return b;
}

// libcap's numbering of one capability's flags (e 1, p 2, i 4): it orders the clauses of
// cap_to_text (eip, ei, ep, e, ip, i, p) and breaks ties between combinations
const E = 1;
const P = 2;
const I = 4;

function stateOf(c: FileCaps, n: number): number {
  const bit = 1n << BigInt(n);
  return (c.effective & bit ? E : 0) | (c.inheritable & bit ? I : 0) | (c.permitted & bit ? P : 0);
}

const flagText = (f: number): string => `${f & E ? 'e' : ''}${f & I ? 'i' : ''}${f & P ? 'p' : ''}`;
const nameOf = (n: number): string => CAP_NAMES[n] ?? String(n);

/**
 * libcap's cap_to_text: the most common flag combination of the known capabilities as the
 * base ("=" when it is none), then each other combination's capabilities with what they add
 * (+) or lack (-); a leading "= " is folded into the first clause ("cap_chown=ep").
 * Capabilities beyond the known ones follow, one clause each.
 */
export function capsToText(c: FileCaps): string {
  const known = CAP_NAMES.length;
  const histo = new Array<number>(8).fill(0);
  for (let n = 0; n < known; n++) histo[stateOf(c, n)]!++;
  // ties go to the lower combination, so "nothing set" wins a tie
  let m = 7;
  for (let t = 6; t >= 0; t--) if (histo[t]! >= histo[m]!) m = t;
  const clauses: string[] = [];
  for (let t = 7; t >= 0; t--) {
    if (t === m || histo[t] === 0) continue;
    const names: string[] = [];
    for (let n = 0; n < known; n++) if (stateOf(c, n) === t) names.push(nameOf(n));
    const add = t & ~m;
    const lack = ~t & m & 7;
    // with nothing as the base, the first clause sets ("cap_chown=ep", not "= cap_chown+ep")
    const op = m === 0 && clauses.length === 0 ? '=' : '+';
    clauses.push(`${names.join(',')}${add ? `${op}${flagText(add)}` : ''}${lack ? `-${flagText(lack)}` : ''}`);
  }
  let base = m === 0 && clauses.length > 0 ? clauses.join(' ') : [`=${flagText(m)}`, ...clauses].join(' ');
  for (let n = known; n < 64; n++) {
    const t = stateOf(c, n);
    if (t) base += ` ${nameOf(n)}+${flagText(t)}`;
  }
  return base;
}

/**
 * libcap's cap_from_text: blank-separated clauses `[caps]op flags[op flags]…` where caps is a
 * comma list of names (cap_chown or chown's number, any case, or "all"; none before "=" means
 * all), op is = (set exactly), + (raise) or - (lower), flags any of e, i, p. Starts from nothing.
 */
export function capsFromText(text: string): FileCaps {
  const c: FileCaps = { effective: 0n, permitted: 0n, inheritable: 0n, rootid: 0 };
  const all = (1n << BigInt(CAP_NAMES.length)) - 1n;
  const bad = (clause: string, why: string) => new JootError('EINVAL', `Invalid argument: capability text '${clause}': ${why}`);
  for (const clause of text.split(/[ \t\n]+/).filter((s) => s !== '')) {
    const m = /^([^=+-]*)(.*)$/.exec(clause)!;
    const list = m[1]!;
    let rest = m[2]!;
    let set = 0n;
    if (list === '') {
      if (!rest.startsWith('=')) throw bad(clause, 'no capability named before + or -');
      set = all;
    } else {
      for (const name of list.split(',')) {
        const lower = name.toLowerCase();
        if (lower === 'all') set |= all;
        else if (/^[0-9]+$/.test(name) && Number(name) < 64) set |= 1n << BigInt(name);
        else {
          const n = CAP_NAMES.indexOf(lower);
          if (n === -1) throw bad(clause, `unknown capability '${name}'`);
          set |= 1n << BigInt(n);
        }
      }
    }
    if (rest === '') throw bad(clause, 'no = + or - operation');
    while (rest !== '') {
      const op = /^([=+-])([eip]*)(.*)$/.exec(rest);
      if (!op) throw bad(clause, `cannot read '${rest}'`);
      const [, sign, flags, more] = op as unknown as [string, string, string, string];
      if (flags === '' && sign !== '=') throw bad(clause, `no flags after ${sign}`);
      const apply = (f: string, key: 'effective' | 'inheritable' | 'permitted') => {
        if (sign === '=') c[key] = flags.includes(f) ? c[key] | set : c[key] & ~set & ALL64;
        else if (flags.includes(f)) c[key] = sign === '+' ? c[key] | set : c[key] & ~set & ALL64;
      };
      apply('e', 'effective');
      apply('i', 'inheritable');
      apply('p', 'permitted');
      rest = more;
    }
  }
  return c;
}
