// sk cells: security descriptors shared by many keys (reference counted, in a circular doubly
// linked list). New keys share their parent's; the last reference going away frees the cell.
import { CellStore } from './cells.js';
import { SIG_SK, bad, hex } from './format.js';

const SK_FLINK = 4;
const SK_BLINK = 8;
const SK_REFS = 12;
const SK_SDLEN = 16;
const SK_SD = 20;

function skData(store: CellStore, off: number): number {
  const len = store.cell(off, 'security descriptor');
  const d = CellStore.data(off);
  if (len < SK_SD || store.buf.readUInt16LE(d) !== SIG_SK) bad(`cell ${hex(off)} is not a security descriptor (sk)`);
  if (SK_SD + store.buf.readUInt32LE(d + SK_SDLEN) > len) bad(`security descriptor at ${hex(off)} runs past its cell`);
  return d;
}

/** The self-relative security descriptor bytes. */
export function readSecurity(store: CellStore, off: number): Buffer {
  const d = skData(store, off);
  return Buffer.from(store.buf.subarray(d + SK_SD, d + SK_SD + store.buf.readUInt32LE(d + SK_SDLEN)));
}

export function refSecurity(store: CellStore, off: number): void {
  const d = skData(store, off);
  store.buf.writeUInt32LE((store.buf.readUInt32LE(d + SK_REFS) + 1) >>> 0, d + SK_REFS);
}

export function unrefSecurity(store: CellStore, off: number): void {
  const d = skData(store, off);
  const buf = store.buf;
  const refs = buf.readUInt32LE(d + SK_REFS);
  if (refs > 1) {
    buf.writeUInt32LE(refs - 1, d + SK_REFS);
    return;
  }
  // Unlink from the list, unless it is the only member (points to itself).
  const flink = buf.readUInt32LE(d + SK_FLINK);
  const blink = buf.readUInt32LE(d + SK_BLINK);
  if (flink !== off) {
    buf.writeUInt32LE(flink, skData(store, blink) + SK_FLINK);
    buf.writeUInt32LE(blink, skData(store, flink) + SK_BLINK);
  }
  store.free(off);
}

/** A new sk cell alone in its list (the root key of a new hive). */
export function newSecurity(store: CellStore, sd: Buffer): number {
  const off = store.alloc(SK_SD + sd.length);
  const d = CellStore.data(off);
  const buf = store.buf;
  buf.writeUInt16LE(SIG_SK, d);
  buf.writeUInt32LE(off, d + SK_FLINK);
  buf.writeUInt32LE(off, d + SK_BLINK);
  buf.writeUInt32LE(1, d + SK_REFS);
  buf.writeUInt32LE(sd.length, d + SK_SDLEN);
  sd.copy(buf, d + SK_SD);
  return off;
}

function sid(auth: number, ...subs: number[]): Buffer {
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1;
  b[1] = subs.length;
  b.writeUIntBE(auth, 2, 6);
  for (const [i, s] of subs.entries()) b.writeUInt32LE(s, 8 + 4 * i);
  return b;
}

/**
 * Self-relative descriptor for a new hive's root: owner Administrators, group SYSTEM, a DACL
 * giving SYSTEM and Administrators full control and Everyone read, inherited by subkeys.
 */
export function defaultSecurityDescriptor(): Buffer {
  const ace = (mask: number, who: Buffer) => {
    const a = Buffer.alloc(8 + who.length);
    a[0] = 0; // ACCESS_ALLOWED_ACE_TYPE
    a[1] = 0x02; // CONTAINER_INHERIT_ACE
    a.writeUInt16LE(a.length, 2);
    a.writeUInt32LE(mask, 4);
    who.copy(a, 8);
    return a;
  };
  const admins = sid(5, 32, 544);
  const system = sid(5, 18);
  const aces = [ace(0xf003f, system), ace(0xf003f, admins), ace(0x20019, sid(1, 0))];
  const aclBody = Buffer.concat(aces);
  const acl = Buffer.alloc(8);
  acl[0] = 2; // ACL_REVISION
  acl.writeUInt16LE(8 + aclBody.length, 2);
  acl.writeUInt16LE(aces.length, 4);
  const hdr = Buffer.alloc(20);
  hdr[0] = 1; // revision
  hdr.writeUInt16LE(0x8004, 2); // SE_SELF_RELATIVE | SE_DACL_PRESENT
  const ownerOff = 20;
  const groupOff = ownerOff + admins.length;
  const daclOff = groupOff + system.length;
  hdr.writeUInt32LE(ownerOff, 4);
  hdr.writeUInt32LE(groupOff, 8);
  hdr.writeUInt32LE(0, 12); // no SACL
  hdr.writeUInt32LE(daclOff, 16);
  return Buffer.concat([hdr, admins, system, acl, aclBody]);
}
