// ext2/ext3/ext4 and external ext journals (jbd), with blkid's rules for which name a superblock
// gets: ext4 when it has a feature ext3 lacks, ext3 with a journal and nothing ext3 lacks, ext2
// without a journal and nothing ext2 lacks, jbd for a journal device. (blkid also asks the
// host kernel which of these it supports; a modern kernel supports all, which is assumed here.)
import { magic, type Prober } from './prober.js';
import type { ProbeReader } from './reader.js';
import type { ProbeValues } from './values.js';

const SB = 1024;
const COMPAT_HAS_JOURNAL = 0x4;
const INCOMPAT_JOURNAL_DEV = 0x8;
const FLAGS_TEST_FILESYS = 0x4;
// features ext2/ext3 understand; anything else makes it ext4
const EXT2_RO_SUPP = 0x1 | 0x2 | 0x4;
const EXT2_INCOMPAT_SUPP = 0x2 | 0x10;
const EXT3_RO_SUPP = EXT2_RO_SUPP;
const EXT3_INCOMPAT_SUPP = 0x2 | 0x4 | 0x10;

interface Super {
  sb: Buffer;
  fc: number;
  fi: number;
  frc: number;
}

async function readSuper(r: ProbeReader): Promise<Super | undefined> {
  const sb = await r.get(SB, 0x200);
  if (!sb) return undefined;
  return { sb, fc: sb.readUInt32LE(0x5c), fi: sb.readUInt32LE(0x60), frc: sb.readUInt32LE(0x64) };
}

function info(v: ProbeValues, s: Super, ver: number): void {
  const sb = s.sb;
  v.label(sb.subarray(0x78, 0x88));
  v.uuid(sb.subarray(0x68, 0x78));
  if (s.fc & COMPAT_HAS_JOURNAL) v.uuid(sb.subarray(0xd0, 0xe0), 'EXT_JOURNAL');
  if (ver !== 2 && (s.fi & ~EXT2_INCOMPAT_SUPP) === 0) v.set('SEC_TYPE', 'ext2');
  v.set('VERSION', `${sb.readUInt32LE(0x4c)}.${sb.readUInt16LE(0x3e)}`);
  // 1024U << s_log_block_size in 32 bits, as blkid computes it (a shift of 32 or more: none)
  const log = sb.readUInt32LE(0x18);
  if (log < 32) v.set('BLOCK_SIZE', String((1024 * 2 ** log) % 2 ** 32));
}

const EXT_MAGIC = [magic('\x53\xef', 0x438)];

export const jbd: Prober = {
  name: 'jbd',
  usage: 'other',
  magics: EXT_MAGIC,
  async probe(r, v) {
    const s = await readSuper(r);
    if (!s || !(s.fi & INCOMPAT_JOURNAL_DEV)) return false;
    info(v, s, 2);
    v.uuid(s.sb.subarray(0x68, 0x78), 'LOGUUID');
    return true;
  },
};

export const ext2: Prober = {
  name: 'ext2',
  usage: 'filesystem',
  magics: EXT_MAGIC,
  async probe(r, v) {
    const s = await readSuper(r);
    if (!s || s.fc & COMPAT_HAS_JOURNAL) return false;
    if (s.frc & ~EXT2_RO_SUPP || s.fi & ~EXT2_INCOMPAT_SUPP) return false;
    info(v, s, 2);
    return true;
  },
};

export const ext3: Prober = {
  name: 'ext3',
  usage: 'filesystem',
  magics: EXT_MAGIC,
  async probe(r, v) {
    const s = await readSuper(r);
    if (!s || !(s.fc & COMPAT_HAS_JOURNAL)) return false;
    if (s.frc & ~EXT3_RO_SUPP || s.fi & ~EXT3_INCOMPAT_SUPP) return false;
    info(v, s, 3);
    return true;
  },
};

export const ext4: Prober = {
  name: 'ext4',
  usage: 'filesystem',
  magics: EXT_MAGIC,
  async probe(r, v) {
    const s = await readSuper(r);
    if (!s || s.fi & INCOMPAT_JOURNAL_DEV) return false;
    // the host supports ext2 (the ext4 driver registers it), so no journal-less forcing
    if (!(s.frc & ~EXT3_RO_SUPP) && !(s.fi & ~EXT3_INCOMPAT_SUPP)) return false;
    // a test filesystem belongs to ext4dev only where the host lacks ext4: not assumed
    void FLAGS_TEST_FILESYS;
    info(v, s, 4);
    return true;
  },
};
