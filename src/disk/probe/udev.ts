// `blkid -p -o udev` output, decoded (the kernel engine reads blkid this way; the userspace
// engine's tests compare against it).
import type { Probe } from '../types.js';

/** Decode udev's \xHH encoding (the *_ENC values) into the exact string. */
function decodeUdev(v: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < v.length; ) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(v.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1]!, 16));
      i += 4;
    } else {
      bytes.push(...Buffer.from(v[i]!, 'utf8'));
      i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parse `blkid -p -o udev` output for ONE device: ID_*=value lines. */
export function parseBlkidUdev(text: string): Probe {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(ID_[A-Z_0-9]+)=(.*)$/.exec(line);
    if (m) kv[m[1]!] = m[2]!;
  }
  const label = kv.ID_FS_LABEL_ENC !== undefined ? decodeUdev(kv.ID_FS_LABEL_ENC) : undefined;
  const uuid = kv.ID_FS_UUID_ENC !== undefined ? decodeUdev(kv.ID_FS_UUID_ENC) : kv.ID_FS_UUID;
  const uuidSub = kv.ID_FS_UUID_SUB_ENC !== undefined ? decodeUdev(kv.ID_FS_UUID_SUB_ENC) : kv.ID_FS_UUID_SUB;
  return {
    type: kv.ID_FS_TYPE || undefined,
    label,
    uuid,
    uuidSub: uuidSub || undefined,
    ptType: kv.ID_PART_TABLE_TYPE || undefined,
    usage: kv.ID_FS_USAGE || undefined,
    version: kv.ID_FS_VERSION ? decodeUdev(kv.ID_FS_VERSION) : undefined,
  };
}
