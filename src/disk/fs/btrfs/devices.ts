// The devices of one btrfs: the one opened and, where its superblock says the filesystem spans
// several, the other members found among the session's devices (the same fsid, a devid not seen
// yet, the newest generation: a member left behind while the others were written is stale and
// not read). A copy on a device that is not there is passed over; an address none of whose
// copies is there is one EIO naming the devices it needs.
import type { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import type { OpenOptions } from '../types.js';
import type { Copy } from './chunks.js';
import { uuidString } from './format.js';
import { readSuperblock, type Superblock } from './superblock.js';

type Fail = (code: 'EFORMAT' | 'EIO' | 'EUNSUPPORTED', msg: string) => JootError;

interface Member {
  device: string;
  source: ByteSource;
  uuid: Buffer;
}

/** A copy that can be read: on a device of the session. */
export interface PresentCopy {
  member: Member;
  offset: number;
}

export class BtrfsDevices {
  private constructor(
    /** the superblock the filesystem is read by (the newest of its members') */
    readonly sb: Superblock,
    private readonly members: Map<bigint, Member>,
    private readonly fail: Fail,
  ) {}

  /** The opened device and its present siblings. */
  static async find(src: ByteSource, device: string, opts: OpenOptions, fail: Fail): Promise<BtrfsDevices> {
    const own = await readSuperblock(src, fail);
    const found: { sb: Superblock; member: Member }[] = [{ sb: own, member: { device, source: src, uuid: own.devUuid } }];
    if (own.numDevices > 1 && opts.siblings) {
      for (const s of await opts.siblings()) {
        // a sibling that is no btrfs, or a corrupt one, is simply not a member
        const sb = await readSuperblock(s.source, fail).catch(() => undefined);
        if (!sb?.fsid.equals(own.fsid) || found.some((f) => f.sb.devid === sb.devid)) continue;
        found.push({ sb, member: { device: s.device, source: s.source, uuid: sb.devUuid } });
      }
    }
    const newest = found.reduce((a, b) => (b.sb.generation > a.sb.generation ? b : a)).sb;
    const members = new Map<bigint, Member>();
    for (const f of found) if (f.sb.generation === newest.generation) members.set(f.sb.devid, f.member);
    return new BtrfsDevices(newest, members, fail);
  }

  /** Of `devices` (what the chunks name), those not here, as `device N (uuid …)`. */
  missing(devices: readonly { devid: bigint; uuid: Buffer }[]): string[] {
    return devices
      .filter((d) => !this.members.get(d.devid)?.uuid.equals(d.uuid))
      .map((d) => `device ${d.devid} (uuid ${uuidString(d.uuid)})`);
  }

  /** Whether the device `devid` of the filesystem is here. */
  has(devid: bigint): boolean {
    return this.members.has(devid);
  }

  /**
   * The copies of `copies` that lie on present devices, in the chunk's order (the first is the
   * one read unless it is bad). None present: EIO naming the device each copy needs.
   */
  present(logical: number, copies: readonly Copy[]): PresentCopy[] {
    const out: PresentCopy[] = [];
    for (const c of copies) {
      const member = this.members.get(c.devid);
      // the chunk names its device by uuid too: a devid reused by another device is not it
      if (member?.uuid.equals(c.uuid)) out.push({ member, offset: c.offset });
    }
    if (out.length === 0) {
      const need = copies.map((c) => `device ${c.devid} (uuid ${uuidString(c.uuid)})`).join(' or ');
      throw this.fail('EIO', `logical address ${logical} is on ${need}, which is not among the session's devices`);
    }
    return out;
  }

  /** `n` bytes of one copy; EIO when the device is too small to hold them. */
  async read(copy: PresentCopy, n: number): Promise<Buffer> {
    const { member, offset } = copy;
    if (offset + n > member.source.size) throw this.fail('EIO', `offset ${offset} is outside ${member.device}`);
    return member.source.read(offset, n);
  }
}
