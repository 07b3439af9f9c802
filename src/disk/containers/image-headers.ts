// The host files an image's headers name, read here in TypeScript BEFORE qemu opens the image:
// qemu follows backing files, data files and vmdk extents while it opens, so a name checked
// after `qemu-img info` has already been opened (a FIFO hangs it, a device is read).
//
// Formats qemu would follow names in: qcow (v1) and qed backing files, qcow2 backing and
// external data files, vmdk extents and parents (text descriptors, and the descriptor embedded
// in a sparse file). vhdx, vdi and vpc differencing images name parents that qemu does not
// open; they are refused here with a plain message. The readers are supersets of qemu's (they
// report every name qemu could take, and refuse what they cannot read), never subsets.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { QCOW2_MAGIC, readQcow2Extensions } from './qcow2-format.js';

export interface HeaderRef {
  /** "backing file", "data file", "extent 2", "parent (parentFileNameHint)" */
  field: string;
  kind: 'backing' | 'data-file' | 'extent';
  name: string;
  /** the backing file's recorded format, when the header records one */
  format?: string;
}

export interface HeaderFacts {
  /** the format an exact magic says (qemu's probe agrees), else undefined */
  detected?: string;
  refs: HeaderRef[];
  /** the format the headers were read as (the caller's, the magic's, or vmdk for a text descriptor) */
  parsedAs?: string;
  /** a reason to refuse the image outright (a differencing vhdx/vdi/vpc, an unreadable header) */
  refuse?: string;
}

/** Formats whose headers can name other files: these must never be probed by qemu unchecked. */
export const NAMING_FORMATS = new Set(['qcow', 'qcow2', 'qed', 'vmdk']);

const QED_MAGIC = 0x00444551; // "QED\0" little-endian
const VMDK4_MAGIC = 0x4b444d56; // "KDMV" read big-endian, as qemu does
const VMDK3_MAGIC = 0x434f5744; // "COWD"
const VDI_SIGNATURE = 0xbeda107f;
const PROBE_BYTES = 2048; // qemu's BLOCK_PROBE_BUF_SIZE
const MAX_HEADER = 2 << 20; // qcow2 clusters are at most 2 MiB: its names live in the first
const MAX_DESC = (1 << 20) - 1; // qemu's vmdk_read_desc cap
const FIRST_READ = 64 * 1024; // qcow2's default cluster: where its names are, nearly always

/**
 * The header reads' file: the calls of a file handle they use, made synchronously (a few small
 * reads cost less than as many round trips through libuv's pool, and node:fs/promises, which
 * loads readline and fs watchers with it, is not loaded for them).
 */
class HeaderFile {
  constructor(private readonly fd: number) {}

  async read(buf: Buffer, at: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return { bytesRead: readSync(this.fd, buf, at, length, position) };
  }

  async stat(): Promise<Stats> {
    return fstatSync(this.fd);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}

/** Open a file already checked to be regular (O_NONBLOCK: a file swapped for a FIFO meanwhile must not hang). */
export async function openChecked(path: string): Promise<HeaderFile> {
  const fh = new HeaderFile(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW));
  const st = await fh.stat();
  if (!st.isFile() && !st.isBlockDevice()) {
    await fh.close();
    throw new Error(`${path}: not a regular file`);
  }
  return fh;
}

async function readAt(fh: HeaderFile, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** What the headers of `path` name, read as `format` (the caller's) or as its magic says. */
export async function readHeaderRefs(path: string, format: string | undefined): Promise<HeaderFacts> {
  const fh = await openChecked(path);
  try {
    let head = await readAt(fh, 0, FIRST_READ);
    const detected = detect(head);
    // a text file that qemu might take for a vmdk descriptor is read as one (not pinned as one)
    const fmt = format ?? detected ?? (vmdkTextProbe(head.subarray(0, PROBE_BYTES)) ? 'vmdk' : undefined);
    if (head.length === FIRST_READ) {
      // A qcow2 whose names all lie in the first 64 KiB reads the same from there as from the
      // first 2 MiB (qcow2Refs reads only inside its buffer, and only a check against the
      // buffer's end can tell the two apart: that is a refusal, answered from the 2 MiB
      // below). Reading 2 MiB for every open was most of a short jfish run's image open.
      if (fmt === 'qcow2') {
        const quick = qcow2Refs(head);
        if (quick.refuse === undefined) return { detected, parsedAs: fmt, ...quick };
      }
      head = await readAt(fh, 0, MAX_HEADER);
    }
    const facts = await refsAs(fh, head, fmt);
    return { detected, parsedAs: fmt, ...facts };
  } finally {
    await fh.close();
  }
}

async function refsAs(fh: HeaderFile, head: Buffer, fmt: string | undefined): Promise<Omit<HeaderFacts, 'detected' | 'parsedAs'>> {
  switch (fmt) {
    case 'qcow2':
      return qcow2Refs(head);
    case 'qcow':
      return qcowRefs(head);
    case 'qed':
      return qedRefs(head);
    case 'vmdk':
      return vmdkRefs(fh, head);
    case 'vdi':
      return { refs: [], refuse: vdiRefusal(head) };
    case 'vpc':
      return { refs: [], refuse: await vpcRefusal(fh, head) };
    case 'vhdx':
      return { refs: [], refuse: await vhdxRefusal(fh) };
    default:
      return { refs: [] };
  }
}

function detect(head: Buffer): string | undefined {
  if (head.length >= 4) {
    const be = head.readUInt32BE(0);
    if (be === QCOW2_MAGIC && head.length >= 8) return head.readUInt32BE(4) === 1 ? 'qcow' : 'qcow2';
    if (head.readUInt32LE(0) === QED_MAGIC) return 'qed';
    if (be === VMDK4_MAGIC || be === VMDK3_MAGIC) return 'vmdk';
  }
  if (head.length >= 0x44 && head.readUInt32LE(0x40) === VDI_SIGNATURE) return 'vdi';
  if (head.subarray(0, 8).toString('latin1') === 'vhdxfile') return 'vhdx';
  if (head.subarray(0, 8).toString('latin1') === 'conectix') return 'vpc';
  return undefined;
}

/** qemu's vmdk_probe for descriptor files, made wider: blank and comment lines, then "version=". */
function vmdkTextProbe(buf: Buffer): boolean {
  const text = buf.toString('latin1');
  for (const line of text.split('\n')) {
    const l = line.replace(/\r$/, '');
    if (l.startsWith('#') || l.trim() === '') continue;
    return /^\s*version\s*=/.test(l) || /createType/.test(text);
  }
  return false;
}

// ------------------------------------------------------------------------------ qcow, qcow2, qed

// qcow2 incompatible feature bit 2: an external data file (its name in the header extension)
const INCOMPAT_DATA_FILE = 1n << 2n;
/** qcow2's crypt_method values, as qemu-img info names them (encrypt.format) */
const QCOW2_CRYPT: Record<number, string> = { 1: 'aes', 2: 'luks' };

function cString(buf: Buffer, start: number, len: number): string | undefined {
  if (start < 0 || len < 0 || start + len > buf.length) return undefined;
  return buf.toString('utf8', start, start + len);
}

function qcow2Refs(h: Buffer): Omit<HeaderFacts, 'detected'> {
  if (h.length < 72) return { refs: [], refuse: 'qcow2 header is truncated' };
  const version = h.readUInt32BE(4);
  const refs: HeaderRef[] = [];
  let extStart = 72;
  let incompat = 0n;
  if (version >= 3) {
    if (h.length < 104) return { refs: [], refuse: 'qcow2 header is truncated' };
    incompat = h.readBigUInt64BE(72);
    extStart = h.readUInt32BE(100);
  }
  // before any name: qemu would only ask for the key (encrypt.key-secret), which joot never has
  const crypt = h.readUInt32BE(32);
  if (crypt !== 0)
    return { refs: [], refuse: `encrypted images are not supported (qcow2 encryption: ${QCOW2_CRYPT[crypt] ?? `crypt_method ${crypt}`})` };
  const ext = readQcow2Extensions(h, extStart);
  if (!ext) return { refs: [], refuse: 'qcow2 header extensions do not end' };
  const { backingFormat, dataFile } = ext;
  const backingOffset = h.readBigUInt64BE(8);
  const backingSize = h.readUInt32BE(16);
  if (backingOffset !== 0n && backingSize !== 0) {
    const name = backingOffset > BigInt(h.length) ? undefined : cString(h, Number(backingOffset), backingSize);
    if (name === undefined) return { refs: [], refuse: 'qcow2 backing file name lies outside the header' };
    refs.push({ field: 'backing file', kind: 'backing', name, format: backingFormat });
  }
  if (dataFile !== undefined) refs.push({ field: 'data file', kind: 'data-file', name: dataFile });
  else if (incompat & INCOMPAT_DATA_FILE) return { refs: [], refuse: 'qcow2 image needs an external data file but names none' };
  return { refs };
}

function qcowRefs(h: Buffer): Omit<HeaderFacts, 'detected'> {
  if (h.length < 48) return { refs: [], refuse: 'qcow header is truncated' };
  const off = h.readBigUInt64BE(8);
  const len = h.readUInt32BE(16);
  if (off === 0n || len === 0) return { refs: [] };
  const name = off > BigInt(h.length) ? undefined : cString(h, Number(off), len);
  if (name === undefined) return { refs: [], refuse: 'qcow backing file name lies outside the header' };
  return { refs: [{ field: 'backing file', kind: 'backing', name }] };
}

const QED_F_BACKING_FILE = 1n;
const QED_F_BACKING_FORMAT_NO_PROBE = 4n;

function qedRefs(h: Buffer): Omit<HeaderFacts, 'detected'> {
  if (h.length < 64) return { refs: [], refuse: 'qed header is truncated' };
  const features = h.readBigUInt64LE(16);
  if (!(features & QED_F_BACKING_FILE)) return { refs: [] };
  const name = cString(h, h.readUInt32LE(56), h.readUInt32LE(60));
  if (name === undefined) return { refs: [], refuse: 'qed backing file name lies outside the header' };
  return { refs: [{ field: 'backing file', kind: 'backing', name, format: features & QED_F_BACKING_FORMAT_NO_PROBE ? 'raw' : undefined }] };
}

// ------------------------------------------------------------------------------ vmdk

/**
 * The names in a vmdk: its text descriptor's extents, or a sparse file's embedded descriptor
 * (qemu parses it as a full descriptor when the header's capacity is 0), and parentFileNameHint.
 */
async function vmdkRefs(fh: HeaderFile, head: Buffer): Promise<Omit<HeaderFacts, 'detected'>> {
  const magic = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if (magic === VMDK3_MAGIC) return { refs: [] }; // one extent: the file itself
  let desc: string;
  if (magic === VMDK4_MAGIC) {
    if (head.length < 44) return { refs: [], refuse: 'vmdk header is truncated' };
    // the header is little-endian: capacity in sectors at 12, desc_offset (sectors) at 28
    const descOffset = head.readBigUInt64LE(28);
    if (descOffset === 0n) return { refs: [] };
    if (descOffset > 1n << 40n) return { refs: [], refuse: 'vmdk descriptor offset is out of range' };
    desc = cText(await readAt(fh, Number(descOffset) * 512, MAX_DESC));
    // Only with capacity 0 does qemu read the embedded descriptor's extents (vmdk_open_vmdk4);
    // otherwise the file is its one extent and the descriptor only gives a parent hint.
    const refs = vmdkDescriptorRefs(desc);
    return { refs: head.readBigUInt64LE(12) === 0n ? refs : refs.filter((r) => r.kind !== 'extent') };
  } else {
    desc = cText(head.length >= MAX_DESC ? head.subarray(0, MAX_DESC) : await readAt(fh, 0, MAX_DESC));
  }
  return { refs: vmdkDescriptorRefs(desc) };
}

/** A C string: what qemu sees of a buffer (it stops at the first NUL). */
function cText(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.toString('latin1', 0, nul < 0 ? buf.length : nul);
}

/**
 * Every name a descriptor's extent lines (and parent hint) could give qemu. qemu runs
 * `sscanf(p, "%10s %ld %10s \"%511[^\n\r\"]\" …")` at the start of each line, and sscanf skips
 * newlines as whitespace: this does the same, at every line start, whatever the access or type.
 */
export function vmdkDescriptorRefs(desc: string): HeaderRef[] {
  const refs: HeaderRef[] = [];
  let n = 0;
  for (let p = 0; p < desc.length; ) {
    const name = scanExtentName(desc, p);
    if (name !== undefined) refs.push({ field: `extent ${++n}`, kind: 'extent', name });
    const nl = desc.indexOf('\n', p);
    if (nl < 0) break;
    p = nl + 1;
  }
  // vmdk_parent_open: strstr(desc, "parentFileNameHint=\"") up to the next quote
  for (const m of desc.matchAll(/parentFileNameHint\s*=\s*"([^"]*)"?/g)) {
    if (m[1]) refs.push({ field: 'parent (parentFileNameHint)', kind: 'backing', name: m[1] });
  }
  return refs;
}

function scanExtentName(s: string, p: number): string | undefined {
  const ws = (i: number): number => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    return i;
  };
  const token = (i: number, max: number): [string, number] | undefined => {
    i = ws(i);
    let j = i;
    while (j < s.length && j - i < max && !/\s/.test(s[j]!)) j++;
    return j > i ? [s.slice(i, j), j] : undefined;
  };
  const access = token(p, 10);
  if (!access) return undefined;
  let i = ws(access[1]);
  const num = /^[+-]?\d+/.exec(s.slice(i, i + 40));
  if (!num) return undefined;
  i += num[0].length;
  const type = token(i, 10);
  if (!type) return undefined;
  i = ws(type[1]);
  if (s[i] !== '"') return undefined;
  i++;
  let j = i;
  while (j < s.length && j - i < 511 && s[j] !== '\n' && s[j] !== '\r' && s[j] !== '"') j++;
  return j > i ? s.slice(i, j) : undefined;
}

/** A sparse vmdk extent whose header carries a descriptor qemu will parse as one (capacity 0). */
export async function vmdkNestedRefs(path: string): Promise<HeaderRef[]> {
  const fh = await openChecked(path);
  try {
    const head = await readAt(fh, 0, 512);
    if (head.length < 44 || head.readUInt32BE(0) !== VMDK4_MAGIC) return [];
    return (await vmdkRefs(fh, head)).refs;
  } finally {
    await fh.close();
  }
}

// ------------------------------------------------------------------------------ vdi, vpc, vhdx

function vdiRefusal(h: Buffer): string | undefined {
  if (h.length < 0x50) return undefined;
  const type = h.readUInt32LE(0x4c);
  return type === 3 || type === 4 ? 'a differencing vdi image (it names a parent image): not supported' : undefined;
}

async function vpcRefusal(fh: HeaderFile, head: Buffer): Promise<string | undefined> {
  const footers = [head.subarray(0, 512)];
  const size = (await fh.stat()).size;
  if (size >= 1024) footers.push(await readAt(fh, size - 512, 512));
  const diff = footers.some((f) => f.length >= 64 && f.toString('latin1', 0, 8) === 'conectix' && f.readUInt32BE(60) === 4);
  return diff ? 'a differencing vpc (VHD) image (it names a parent image): not supported' : undefined;
}

// GUIDs as stored on disk (the first three fields little-endian)
const guid = (s: string): Buffer => {
  const [a, b, c, d, e] = s.split('-') as [string, string, string, string, string];
  return Buffer.concat([
    Buffer.from(a, 'hex').reverse(),
    Buffer.from(b, 'hex').reverse(),
    Buffer.from(c, 'hex').reverse(),
    Buffer.from(d + e, 'hex'),
  ]);
};
const VHDX_METADATA_REGION = guid('8B7CA206-4790-4B9A-B8FE-575F050F886E');
const VHDX_FILE_PARAMETERS = guid('CAA16737-FA36-4D43-B3B6-33F0AA44E76B');
const VHDX_PARENT_LOCATOR = guid('A8D35F2D-B30B-454D-ABF7-D3D84834AB0C');

/** A vhdx whose metadata says it has a parent (qemu refuses those too; this says why plainly). */
async function vhdxRefusal(fh: HeaderFile): Promise<string | undefined> {
  const diff = 'a differencing vhdx image (it names a parent image): not supported';
  for (const at of [0x30000, 0x40000]) {
    const rt = await readAt(fh, at, 64 * 1024);
    if (rt.length < 16 || rt.toString('latin1', 0, 4) !== 'regi') continue;
    const count = Math.min(rt.readUInt32LE(8), 2047);
    for (let i = 0; i < count; i++) {
      const e = 16 + i * 32;
      if (e + 32 > rt.length || !rt.subarray(e, e + 16).equals(VHDX_METADATA_REGION)) continue;
      const regionOffset = Number(rt.readBigUInt64LE(e + 16));
      const md = await readAt(fh, regionOffset, 64 * 1024);
      if (md.length < 32 || md.toString('latin1', 0, 8) !== 'metadata') return undefined;
      const entries = Math.min(md.readUInt16LE(10), 2047);
      for (let k = 0; k < entries; k++) {
        const m = 32 + k * 32;
        if (m + 32 > md.length) break;
        const id = md.subarray(m, m + 16);
        if (id.equals(VHDX_PARENT_LOCATOR)) return diff;
        if (id.equals(VHDX_FILE_PARAMETERS)) {
          const p = await readAt(fh, regionOffset + md.readUInt32LE(m + 16), 8);
          if (p.length === 8 && p.readUInt32LE(4) & 2) return diff; // HasParent
        }
      }
      return undefined;
    }
  }
  return undefined;
}
