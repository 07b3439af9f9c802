// Finding md arrays among a session's devices, as `mdadm --assemble --scan` does: members are
// grouped by array UUID, the member with the newest event count speaks for the array, members
// older than it by more than one event are stale and left out (mdadm's event margin), and an
// array short of members is degraded or, past what its level survives, unavailable.
import { isJootError, JootError } from '../../../core/errors.js';
import { compareNatural } from '../../../core/collate.js';
import { type ByteSource, SliceSource } from '../../source.js';
import { MdArraySource, type RoleSource } from './array-source.js';
import { mdDetail, shortName } from './detail.js';
import { type Geometry, makeLayout } from './geometry.js';
import { levelName } from './levels.js';
import { assignNames } from './names.js';
import { type MdSuperblock, readMdSuperblock } from './superblock.js';

export interface MdDevice {
  /** the canonical guest name (/dev/sda1) */
  name: string;
  source: ByteSource;
}

export interface MdArray {
  /** /dev/md127 …, as libguestfs's appliance names it after its boot-time `mdadm -As` */
  name: string;
  /** the array UUID as mdadm prints it */
  uuid: string;
  /** 'raid1', 'raid5', 'linear', … as md-detail says */
  level: string;
  /** the member devices in use, in role order */
  members: string[];
  degraded: boolean;
  /** set when the array cannot run (too few members); its source then fails every read */
  unavailable?: string;
  source: ByteSource;
  /** exactly guestfish md-detail's answer */
  detail: [string, string][];
}

export interface ScanOptions {
  /** told of every member left out (bad superblock, stale, conflicting role) */
  onProblem?: (e: JootError) => void;
}

interface Found {
  dev: MdDevice;
  sb: MdSuperblock;
}

/** How many members an array of this level can lose and still run. */
function tolerance(level: number, raidDisks: number): number {
  if (level === 1) return raidDisks - 1;
  if (level === 4 || level === 5) return 1;
  if (level === 6) return 2;
  return 0; // linear, raid0; raid10 is checked chunk by chunk
}

/** The md arrays on `devices` (given in the order the guest's kernel lists them). */
export async function scanMd(devices: MdDevice[], opts: ScanOptions = {}): Promise<MdArray[]> {
  const problem = (e: JootError) => opts.onProblem?.(e);
  const found: Found[] = [];
  for (const dev of devices) {
    try {
      const sb = await readMdSuperblock(dev.source);
      if (sb) found.push({ dev, sb });
    } catch (e) {
      if (!isJootError(e)) throw e;
      problem(e);
    }
  }
  const groups = new Map<string, Found[]>();
  for (const f of found) {
    const g = groups.get(f.sb.uuid);
    if (g) g.push(f);
    else groups.set(f.sb.uuid, [f]);
  }
  const built: (Assembled & { first: number })[] = [];
  for (const group of groups.values()) {
    try {
      const a = assemble(group, problem);
      if (a) built.push({ ...a, first: found.indexOf(group[0] as Found) });
    } catch (e) {
      if (!isJootError(e)) throw e;
      problem(e);
    }
  }
  const names = assignNames(built.map((b) => ({ sb: b.sb, first: b.first })));
  const out: MdArray[] = [];
  built.forEach((b, i) => {
    const name = names[i] as string;
    let source: MdArraySource;
    try {
      source = b.make(name);
    } catch (e) {
      // a geometry md could not run (an unsupported layout): the array is left out, as md would
      if (!isJootError(e)) throw e;
      problem(e);
      return;
    }
    const missing = b.roles.filter((r) => r === undefined).length;
    out.push({
      name,
      uuid: b.sb.uuid,
      level: levelName(b.sb.level),
      members: b.roles.filter((r): r is Found => r !== undefined).map((r) => r.dev.name),
      degraded: missing > 0,
      ...(source.unavailable ? { unavailable: source.unavailable } : {}),
      source,
      detail: mdDetail(
        linkName(name, b.sb),
        b.sb,
        b.roles.map((r) => r?.dev.name),
      ),
    });
  });
  return out.sort((x, y) => compareNatural(x.name, y.name));
}

/** The /dev/md/ link mdadm makes: the 1.x name without "homehost:", or the minor of a 0.90 array. */
function linkName(name: string, sb: MdSuperblock): string {
  return sb.metadata === '0.90' ? name.replace(/^\/dev\/md/, '') : shortName(sb);
}

interface Assembled {
  sb: MdSuperblock;
  /** the member in each role (undefined: missing) */
  roles: (Found | undefined)[];
  make: (name: string) => MdArraySource;
}

function assemble(group: Found[], problem: (e: JootError) => void): Assembled | undefined {
  let newest = group[0] as Found;
  for (const f of group) if (f.sb.events > newest.sb.events) newest = f;
  const sb = newest.sb;
  const roles: (Found | undefined)[] = new Array(sb.raidDisks).fill(undefined);
  for (const f of group) {
    if (f.sb.events + 1n < sb.events) {
      problem(
        new JootError('EFORMAT', `${f.dev.name}: stale md member of ${sb.uuid} (events ${f.sb.events}, array at ${sb.events}): left out`),
      );
      continue;
    }
    if (f.sb.level !== sb.level || f.sb.raidDisks !== sb.raidDisks || f.sb.chunk !== sb.chunk || f.sb.layout !== sb.layout) {
      problem(
        new JootError('EFORMAT', `${f.dev.name}: md member of ${sb.uuid} disagrees with ${newest.dev.name} about the geometry: left out`),
      );
      continue;
    }
    if (typeof f.sb.role !== 'number' || f.sb.recoveryOffset !== undefined) continue; // spare, faulty, or still rebuilding
    const held = roles[f.sb.role];
    if (held) {
      problem(
        new JootError(
          'EFORMAT',
          `${f.dev.name}: md member of ${sb.uuid} claims role ${f.sb.role}, already held by ${held.dev.name}: left out`,
        ),
      );
      continue;
    }
    roles[f.sb.role] = f;
  }
  const present = roles.filter((r) => r !== undefined).length;
  if (present === 0) return undefined;
  const missing = sb.raidDisks - present;
  const geometry: Geometry = {
    level: sb.level,
    layout: sb.layout,
    chunk: sb.chunk,
    raidDisks: sb.raidDisks,
    usedSize: sb.usedSize,
    memberSizes: roles.map((r) => r?.sb.dataSize ?? 0),
  };
  return {
    sb,
    roles,
    make(name) {
      const sources: RoleSource[] = roles.map((r) =>
        r ? new SliceSource(r.dev.source, r.sb.dataOffset, r.sb.dataSize, `${name} (${r.dev.name})`) : undefined,
      );
      let unavailable: string | undefined;
      if (missing > tolerance(sb.level, sb.raidDisks) && sb.level !== 10)
        unavailable = `${levelName(sb.level)} array unavailable: ${present} of ${sb.raidDisks} members`;
      const layout = unavailable ? { size: 0, piece: () => ({ length: 0, copies: [] }) } : makeLayout(geometry, name);
      if (!unavailable && sb.level === 10 && missing > 0 && !raid10Readable(layout, sources, sb.raidDisks)) {
        unavailable = `raid10 array unavailable: ${present} of ${sb.raidDisks} members, some data has no copy left`;
      }
      return new MdArraySource(name, unavailable ? { size: 0, piece: () => ({ length: 0, copies: [] }) } : layout, sources, unavailable);
    },
  };
}

/** Whether every chunk of a RAID10 has a present copy: the pattern of devices repeats within
 *  2 x raidDisks chunks; stops at the first chunk without one. */
function raid10Readable(layout: ReturnType<typeof makeLayout>, sources: RoleSource[], disks: number): boolean {
  const chunk = layout.piece(0).length;
  const probe = Math.min(layout.size, chunk * disks * 2);
  for (let o = 0; o < probe; o += chunk) {
    if (!layout.piece(o).copies.some((c) => sources[c.role] !== undefined)) return false;
  }
  return true;
}
