// Where md puts each byte of an array on its members, per level, as the kernel's md drivers
// compute it (linear.c, raid0.c, raid1.c, raid10.c __raid10_find_phys, raid5.c
// raid5_compute_sector). Pure arithmetic on checked geometry: no I/O here.
import { JootError } from '../../../core/errors.js';
import { LEVEL_LINEAR } from './superblock.js';

/** A place on a member: its role and the byte offset inside its data area. */
export interface Place {
  role: number;
  offset: number;
}

/**
 * How to read `length` bytes from an array offset: from the first copy whose member is present;
 * failing that, when `xor` is given, as the XOR of the same offset on all the `xor` roles
 * (RAID4/5/6 reconstruction of one missing data member from the others and P).
 */
export interface Piece {
  length: number;
  copies: Place[];
  xor?: { roles: number[]; offset: number };
  /** RAID6: the stripe's P and Q roles, its data roles in Q-syndrome order (slot i counts
   *  g^i), and which slot is wanted; for rebuilding with two members gone */
  syndrome?: { p: number; q: number; slots: number[]; slot: number; offset: number };
}

export interface Geometry {
  level: number;
  layout: number;
  /** bytes (0 for raid1, and for linear without rounding) */
  chunk: number;
  raidDisks: number;
  /** bytes of each member used (raid1/4/5/6/10) */
  usedSize: number;
  /** linear/raid0: each role's data size, in role order */
  memberSizes: number[];
}

export interface Layout {
  /** bytes the array holds */
  size: number;
  piece(offset: number): Piece;
}

function unsupported(name: string, what: string): JootError {
  return new JootError('EUNSUPPORTED', `${name}: ${what}`);
}

export function makeLayout(g: Geometry, name: string): Layout {
  switch (g.level) {
    case LEVEL_LINEAR:
      return linear(g);
    case 0:
      return raid0(g, name);
    case 1:
      return {
        size: g.usedSize,
        piece: (o) => ({ length: g.usedSize - o, copies: range(g.raidDisks).map((role) => ({ role, offset: o })) }),
      };
    case 10:
      return raid10(g, name);
    case 4:
    case 5:
    case 6:
      return raid456(g, name);
    default:
      throw unsupported(name, `RAID level ${g.level} is not supported`);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function roundDown(n: number, unit: number): number {
  return unit > 0 ? n - (n % unit) : n;
}

function linear(g: Geometry): Layout {
  const sizes = g.memberSizes.map((s) => roundDown(s, g.chunk));
  const starts: number[] = [];
  let total = 0;
  for (const s of sizes) {
    starts.push(total);
    total += s;
  }
  return {
    size: total,
    piece(o) {
      let role = 0;
      while (role + 1 < sizes.length && (starts[role + 1] as number) <= o) role++;
      const within = o - (starts[role] as number);
      return { length: (sizes[role] as number) - within, copies: [{ role, offset: within }] };
    },
  };
}

// raid0.c: layouts of a multi-zone array (members of different sizes)
const RAID0_ORIG_LAYOUT = 1;
const RAID0_ALT_MULTIZONE_LAYOUT = 2;

interface Zone {
  /** array bytes before this zone */
  start: number;
  end: number;
  /** where the zone begins on each of its members */
  devStart: number;
  /** its members' roles, in role order */
  roles: number[];
}

/**
 * raid0.c create_strip_zones: zone 0 stripes over every member up to the smallest one's size;
 * each next zone over the members still longer than that, up to the next smallest size. Within a
 * zone, chunks go round its members; which member a chunk is on counts chunks from the start of
 * the array (layout 1, "original", kernels 3.14 to 5.3) or from the start of the zone (layout 2,
 * "alternate", kernels before 3.14): md refuses a multi-zone array that says neither.
 */
function raid0(g: Geometry, name: string): Layout {
  const sizes = g.memberSizes.map((s) => roundDown(s, g.chunk));
  if (g.chunk <= 0) throw new JootError('EFORMAT', `${name}: RAID0 with chunk size 0`);
  const zones: Zone[] = [];
  let devStart = 0;
  let total = 0;
  for (;;) {
    const roles = range(sizes.length).filter((r) => (sizes[r] as number) > devStart);
    if (roles.length === 0) break;
    const next = Math.min(...roles.map((r) => sizes[r] as number));
    const bytes = (next - devStart) * roles.length;
    zones.push({ start: total, end: total + bytes, devStart, roles });
    total += bytes;
    devStart = next;
  }
  if (zones.length > 1 && g.layout !== RAID0_ORIG_LAYOUT && g.layout !== RAID0_ALT_MULTIZONE_LAYOUT)
    throw unsupported(
      name,
      `RAID0 over members of different sizes with layout ${g.layout} (neither original nor alternate): md refuses to assemble it`,
    );
  return {
    size: total,
    piece(o) {
      let zi = 0;
      while (zi + 1 < zones.length && (zones[zi] as Zone).end <= o) zi++;
      const z = zones[zi] as Zone;
      const n = z.roles.length;
      const inZone = o - z.start;
      const within = o % g.chunk;
      const zoneChunk = Math.floor(inZone / g.chunk);
      const counted = g.layout === RAID0_ALT_MULTIZONE_LAYOUT || zones.length === 1 ? zoneChunk : Math.floor(o / g.chunk);
      const role = z.roles[counted % n] as number;
      return { length: g.chunk - within, copies: [{ role, offset: z.devStart + Math.floor(zoneChunk / n) * g.chunk + within }] };
    },
  };
}

function raid10(g: Geometry, name: string): Layout {
  const nc = g.layout & 255;
  const fc = (g.layout >> 8) & 255;
  const farOffset = (g.layout & (1 << 16)) !== 0;
  const sets = g.layout >> 17;
  const disks = g.raidDisks;
  if (nc < 1 || fc < 1 || nc * fc > disks || sets > 2)
    throw new JootError('EFORMAT', `${name}: RAID10 layout 0x${g.layout.toString(16)} is impossible with ${disks} members`);
  const farSetSize = sets === 0 ? disks : sets === 1 ? Math.floor(disks / fc) : fc * nc;
  if (farSetSize < 1)
    throw new JootError('EFORMAT', `${name}: RAID10 layout 0x${g.layout.toString(16)} is impossible with ${disks} members`);
  const lastFarSetStart = (Math.floor(disks / farSetSize) - 1) * farSetSize;
  const lastFarSetSize = farSetSize + (disks % farSetSize);
  // raid10.c calc_sectors: chunks in the array, and the stride between far copies
  const devChunks = Math.floor(g.usedSize / g.chunk);
  const arrayChunks = Math.floor((Math.floor(devChunks / fc) * disks) / nc);
  const usedChunks = Math.ceil((arrayChunks * nc * fc) / disks);
  const stride = farOffset ? g.chunk : Math.floor(usedChunks / fc) * g.chunk;
  return {
    size: arrayChunks * g.chunk,
    piece(o) {
      const within = o % g.chunk;
      const chunk = Math.floor(o / g.chunk) * nc;
      let stripe = Math.floor(chunk / disks);
      let dev = chunk % disks;
      if (farOffset) stripe *= fc;
      let sector = within + stripe * g.chunk;
      const copies: Place[] = [];
      for (let n = 0; n < nc; n++) {
        let d = dev;
        let s = sector;
        copies.push({ role: d, offset: s });
        for (let f = 1; f < fc; f++) {
          const set = Math.floor(d / farSetSize);
          d += nc;
          if (disks % farSetSize && d > lastFarSetStart) {
            d = ((d - lastFarSetStart) % lastFarSetSize) + lastFarSetStart;
          } else {
            d = (d % farSetSize) + farSetSize * set;
          }
          s += stride;
          copies.push({ role: d, offset: s });
        }
        dev++;
        if (dev >= disks) {
          dev = 0;
          sector += g.chunk;
        }
      }
      return { length: g.chunk - within, copies };
    },
  };
}

// raid5.c algorithms
const LEFT_ASYMMETRIC = 0;
const RIGHT_ASYMMETRIC = 1;
const LEFT_SYMMETRIC = 2;
const RIGHT_SYMMETRIC = 3;
const PARITY_0 = 4;
const PARITY_N = 5;
const LEFT_ASYMMETRIC_6 = 16;
const RIGHT_ASYMMETRIC_6 = 17;
const LEFT_SYMMETRIC_6 = 18;
const RIGHT_SYMMETRIC_6 = 19;
const PARITY_0_6 = 20;

/** raid5_compute_sector: the data member of chunk `dd` of a stripe, and its P and Q members. */
function stripeRoles(
  level: number,
  algo: number,
  disks: number,
  stripe: number,
  dd: number,
): { d: number; p: number; q: number } | undefined {
  const dataDisks = disks - (level === 6 ? 2 : 1);
  const mod = (n: number) => stripe % n;
  if (level === 4) return { d: dd, p: dataDisks, q: -1 };
  if (level === 5) {
    switch (algo) {
      case LEFT_ASYMMETRIC: {
        const p = dataDisks - mod(disks);
        return { d: dd >= p ? dd + 1 : dd, p, q: -1 };
      }
      case RIGHT_ASYMMETRIC: {
        const p = mod(disks);
        return { d: dd >= p ? dd + 1 : dd, p, q: -1 };
      }
      case LEFT_SYMMETRIC: {
        const p = dataDisks - mod(disks);
        return { d: (p + 1 + dd) % disks, p, q: -1 };
      }
      case RIGHT_SYMMETRIC: {
        const p = mod(disks);
        return { d: (p + 1 + dd) % disks, p, q: -1 };
      }
      case PARITY_0:
        return { d: dd + 1, p: 0, q: -1 };
      case PARITY_N:
        return { d: dd, p: dataDisks, q: -1 };
      default:
        return undefined;
    }
  }
  switch (algo) {
    case LEFT_ASYMMETRIC:
    case RIGHT_ASYMMETRIC: {
      const p = algo === LEFT_ASYMMETRIC ? disks - 1 - mod(disks) : mod(disks);
      if (p === disks - 1) return { d: dd + 1, p, q: 0 };
      return { d: dd >= p ? dd + 2 : dd, p, q: p + 1 };
    }
    case LEFT_SYMMETRIC:
    case RIGHT_SYMMETRIC: {
      const p = algo === LEFT_SYMMETRIC ? disks - 1 - mod(disks) : mod(disks);
      return { d: (p + 2 + dd) % disks, p, q: (p + 1) % disks };
    }
    case PARITY_0:
      return { d: dd + 2, p: 0, q: 1 };
    case PARITY_N:
      return { d: dd, p: dataDisks, q: dataDisks + 1 };
    case LEFT_ASYMMETRIC_6:
    case RIGHT_ASYMMETRIC_6: {
      const p = algo === LEFT_ASYMMETRIC_6 ? dataDisks - mod(disks - 1) : mod(disks - 1);
      return { d: dd >= p ? dd + 1 : dd, p, q: disks - 1 };
    }
    case LEFT_SYMMETRIC_6:
    case RIGHT_SYMMETRIC_6: {
      const p = algo === LEFT_SYMMETRIC_6 ? dataDisks - mod(disks - 1) : mod(disks - 1);
      return { d: (p + 1 + dd) % (disks - 1), p, q: disks - 1 };
    }
    case PARITY_0_6:
      return { d: dd + 1, p: 0, q: disks - 1 };
    default:
      return undefined;
  }
}

function raid456(g: Geometry, name: string): Layout {
  const disks = g.raidDisks;
  const dataDisks = disks - (g.level === 6 ? 2 : 1);
  const algo = g.level === 4 ? PARITY_N : g.layout;
  if (stripeRoles(g.level, algo, disks, 0, 0) === undefined) throw unsupported(name, `RAID${g.level} layout ${g.layout} is not supported`);
  const perMember = roundDown(g.usedSize, g.chunk);
  return {
    size: perMember * dataDisks,
    piece(o) {
      const within = o % g.chunk;
      const chunk = Math.floor(o / g.chunk);
      const stripe = Math.floor(chunk / dataDisks);
      const r = stripeRoles(g.level, algo, disks, stripe, chunk % dataDisks) as { d: number; p: number; q: number };
      const offset = stripe * g.chunk + within;
      const others = range(disks).filter((x) => x !== r.d && x !== r.q);
      const piece: Piece = { length: g.chunk - within, copies: [{ role: r.d, offset }], xor: { roles: others, offset } };
      if (g.level === 6) {
        // raid5.c raid6_d0 / raid6_idx_to_slot: Q counts the data members from the one after Q
        // (from member 0 when Q is the last), going round, P and Q left out
        const slots: number[] = [];
        const d0 = r.q === disks - 1 ? 0 : r.q + 1;
        for (let i = 0; i < disks; i++) {
          const m = (d0 + i) % disks;
          if (m !== r.p && m !== r.q) slots.push(m);
        }
        piece.syndrome = { p: r.p, q: r.q, slots, slot: slots.indexOf(r.d), offset };
      }
      return piece;
    },
  };
}
