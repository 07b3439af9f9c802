// guestfish's hivex-* commands: one registry hive file of the mounted guest opened at a time,
// walked and edited by handles, written back with hivex-commit. Handles are what hivex and
// guestfish print: the file offsets of the key (nk) and value (vk) cells. Everything works on
// joot's TypeScript hive library (src/hive); the file is read once at hivex-open.
import { JootError } from '../../core/errors.js';
import type { Session } from '../../appliance/index.js';
import { BASE } from '../../hive/format.js';
import {
  Hive,
  HiveValue,
  REG_DWORD,
  REG_DWORD_BIG_ENDIAN,
  REG_EXPAND_SZ,
  REG_LINK,
  REG_MULTI_SZ,
  REG_QWORD,
  REG_SZ,
  decodeString,
  encodeDword,
  encodeMultiString,
  encodeQword,
  encodeString,
  type HiveNode,
} from '../../hive/index.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';

/** The largest hive hivex-open reads. */
const HIVE_MAX_BYTES = 512 * 1024 * 1024;

interface OpenHive {
  path: string;
  hive: Hive;
  write: boolean;
}

const open = new WeakMap<Session, OpenHive>();

function current(ctx: OpContext): OpenHive {
  const h = open.get(ctx.session);
  if (!h) throw new JootError('ESTATE', 'no hive is open: call hivex-open first');
  return h;
}

function writable(ctx: OpContext): OpenHive {
  const h = current(ctx);
  if (!h.write) throw new JootError('EPERM', `${h.path}: the hive was not opened for writing (hivex-open ${h.path} write:true)`);
  return h;
}

function handleOf(offset: number): number {
  return offset + BASE;
}

function node(ctx: OpContext, handle: number): HiveNode {
  const { hive } = current(ctx);
  if (!Number.isSafeInteger(handle) || handle < BASE) throw new JootError('EINVAL', `${handle}: not a node handle`);
  try {
    return hive._node(handle - BASE);
  } catch {
    throw new JootError('EINVAL', `${handle}: not a node handle`);
  }
}

function value(ctx: OpContext, handle: number): HiveValue {
  const { hive } = current(ctx);
  if (!Number.isSafeInteger(handle) || handle < BASE) throw new JootError('EINVAL', `${handle}: not a value handle`);
  const v = new HiveValue(hive._store, handle - BASE);
  try {
    void v.name; // checks that the cell is a vk
  } catch {
    throw new JootError('EINVAL', `${handle}: not a value handle`);
  }
  return v;
}

/** libguestfs tests only hivex_open and hivex_commit (on hivex's minimal hive). */
const NO_HIVEX_TEST = 'libguestfs has no test for this action (its hivex tests are of hivex-open and hivex-commit)';

const nodeh = { name: 'nodeh', type: 'int' } as const;
const valueh = { name: 'valueh', type: 'int' } as const;

// The tests' hive: win10.raw's SYSTEM (test/fixtures/README.md); handles are its cell offsets.
const SYSTEM = '/Windows/System32/config/SYSTEM';
/** a copy of SYSTEM with one byte of its base block's file name changed: the checksum no longer matches */
const BAD_CHECKSUM = [
  ['cp', SYSTEM, '/bad-checksum'],
  ['pwrite', '/bad-checksum', 'X', '48'],
];
const OPEN = ['hivex-open', SYSTEM];
const OPEN_RW = ['hivex-open', SYSTEM, 'write:true'];
const ROOT = 4128;
/** the key Select, and its value Current (a dword, 1) */
const SELECT = 8224;
const CURRENT = 8352;
/** ControlSet001\Control\ComputerName\ComputerName's value ComputerName (REG_SZ) */
const COMPUTER_NAME = 8944;
/** MountedDevices's value \DosDevices\C: (REG_BINARY) */
const DRIVE_C = 10248;

export const hivexOpen = defineOp({
  name: 'hivex-open',
  group: 'hivex',
  args: [
    { name: 'filename', type: 'path' },
    { name: 'verbose', type: 'bool', optional: true, named: true },
    { name: 'debug', type: 'bool', optional: true, named: true },
    { name: 'write', type: 'bool', optional: true, named: true },
    { name: 'unsafe', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'open a registry hive file of the guest',
  description: `Open the Windows registry hive file filename (a path in the mounted guest, e.g.
    /Windows/System32/config/SOFTWARE) for the other hivex-* commands; a hive already open is
    closed first (its changes are lost unless committed). write:true allows hivex-node-set-value
    and hivex-commit. verbose, debug and unsafe are accepted for guestfish compatibility; a hive
    whose header checksum is wrong is refused unless unsafe:true.`,
  async impl(ctx, [filename, , , write, unsafe]) {
    open.delete(ctx.session);
    const buf = await ctx.session.reader.readFile(filename, { maxBytes: HIVE_MAX_BYTES });
    let hive: Hive;
    try {
      hive = Hive.open(buf, { ignoreChecksum: unsafe === true });
    } catch (e) {
      throw new JootError('EFORMAT', `${filename}: ${(e as Error).message}`);
    }
    open.set(ctx.session, { path: filename, hive, write: write === true });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'win10',
        title: "hivex-open write:false, then the root is 0x1020 (libguestfs opens hivex's minimal hive; this is a SYSTEM hive)",
        args: [SYSTEM, 'write:false'],
        check: { run: ['hivex-node-name', '4128'], expect: 'ROOT' },
      },
      { disk: 'win10', args: [SYSTEM], check: { run: ['hivex-root'], expect: '4128' } },
      {
        disk: 'win10',
        args: [SYSTEM, 'verbose:true', 'debug:true'],
        check: { run: ['hivex-root'], expect: '4128' },
        title: "verbose:true and debug:true are accepted (they change nothing: jfish's hive reader has no trace to print)",
      },
      {
        disk: 'win10',
        setup: BAD_CHECKSUM,
        args: ['/bad-checksum'],
        error: /^\/bad-checksum: hive: bad base block checksum/,
        title: 'a hive whose header checksum is wrong is refused',
      },
      {
        disk: 'win10',
        setup: BAD_CHECKSUM,
        args: ['/bad-checksum', 'unsafe:true'],
        check: { run: ['hivex-node-name', '4128'], expect: 'ROOT' },
        title: 'unsafe:true opens a hive whose header checksum is wrong',
      },
      { setup: [['write', '/f', 'not a hive']], args: ['/f'], error: /^\/f: / },
      { args: ['/none'], error: /\/none/ },
    ];
  },
});

export const hivexClose = defineOp({
  name: 'hivex-close',
  group: 'hivex',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'close the open hive',
  description: `Close the hive opened by hivex-open. Changes not written with hivex-commit are lost.`,
  async impl(ctx) {
    current(ctx);
    open.delete(ctx.session);
    return undefined;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [] },
      { args: [], error: /^no hive is open: call hivex-open first$/, title: 'hivex-close without an open hive' },
    ];
  },
});

export const hivexRoot = defineOp({
  name: 'hivex-root',
  group: 'hivex',
  args: [],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the root node handle',
  description: `Print the handle of the hive's root key.`,
  async impl(ctx) {
    return handleOf(current(ctx).hive.root().offset);
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [], expect: '4128' },
      { args: [], error: /^no hive is open/, title: 'hivex-root without an open hive' },
    ];
  },
});

export const hivexNodeName = defineOp({
  name: 'hivex-node-name',
  group: 'hivex',
  args: [nodeh],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the name of a key',
  description: `Print the name of the key with handle nodeh (the root key's name is whatever the hive
    file holds, often a random one).`,
  async impl(ctx, [h]) {
    return node(ctx, h).name;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(ROOT)], expect: 'ROOT' },
      { disk: 'win10', setup: [OPEN], args: [String(SELECT)], expect: 'Select' },
      { disk: 'win10', setup: [OPEN], args: ['5'], error: /^5: not a node handle$/ },
    ];
  },
});

export const hivexNodeChildren = defineOp({
  name: 'hivex-node-children',
  group: 'hivex',
  args: [nodeh],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the subkeys of a key',
  description: `List the handles of the subkeys of nodeh as guestfish prints hivex_node structs:
    "[N] = {", "hivex_node_h: HANDLE", "}".`,
  async impl(ctx, [h]) {
    return node(ctx, h)
      .children()
      .map((c) => [['hivex_node_h', handleOf(c.offset)]]);
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'win10',
        setup: [OPEN],
        args: [String(ROOT)],
        expect: [8488, 9544, 10088, SELECT].map((h, i) => `[${i}] = {\n  hivex_node_h: ${h}\n}`).join('\n'),
      },
    ];
  },
});

export const hivexNodeGetChild = defineOp({
  name: 'hivex-node-get-child',
  group: 'hivex',
  args: [nodeh, { name: 'name', type: 'string' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the handle of a subkey by name',
  description: `Print the handle of the subkey of nodeh called name (compared case-insensitively, as
    Windows does), or 0 when there is none.`,
  async impl(ctx, [h, name]) {
    const c = node(ctx, h).child(name);
    return c ? handleOf(c.offset) : 0;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(ROOT), 'select'], expect: String(SELECT), title: 'names compare case-insensitively' },
      { disk: 'win10', setup: [OPEN], args: [String(ROOT), 'nothing'], expect: '0' },
    ];
  },
});

export const hivexNodeParent = defineOp({
  name: 'hivex-node-parent',
  group: 'hivex',
  args: [nodeh],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the handle of the parent key',
  description: `Print the handle of the parent of nodeh; an error for the root key.`,
  async impl(ctx, [h]) {
    const p = node(ctx, h).parent();
    if (!p) throw new JootError('EINVAL', `${h}: the root key has no parent`);
    return handleOf(p.offset);
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(SELECT)], expect: String(ROOT) },
      { disk: 'win10', setup: [OPEN], args: [String(ROOT)], error: /^4128: the root key has no parent$/ },
    ];
  },
});

export const hivexNodeValues = defineOp({
  name: 'hivex-node-values',
  group: 'hivex',
  args: [nodeh],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the values of a key',
  description: `List the handles of the values of nodeh as guestfish prints hivex_value structs:
    "[N] = {", "hivex_value_h: HANDLE", "}".`,
  async impl(ctx, [h]) {
    return node(ctx, h)
      .values()
      .map((v) => [['hivex_value_h', handleOf(v.offset)]]);
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'win10',
        setup: [OPEN],
        args: [String(SELECT)],
        expect: [CURRENT, 8384, 8416, 8448].map((h, i) => `[${i}] = {\n  hivex_value_h: ${h}\n}`).join('\n'),
      },
    ];
  },
});

export const hivexNodeGetValue = defineOp({
  name: 'hivex-node-get-value',
  group: 'hivex',
  args: [nodeh, { name: 'key', type: 'string' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the handle of a value by name',
  description: `Print the handle of the value of nodeh called key ("" for the default value; compared
    case-insensitively), or 0 when there is none.`,
  async impl(ctx, [h, key]) {
    const v = node(ctx, h).value(key);
    return v ? handleOf(v.offset) : 0;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(SELECT), 'current'], expect: String(CURRENT) },
      { disk: 'win10', setup: [OPEN], args: [String(SELECT), 'nothing'], expect: '0' },
    ];
  },
});

export const hivexValueKey = defineOp({
  name: 'hivex-value-key',
  group: 'hivex',
  args: [valueh],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the name of a value',
  description: `Print the name of the value with handle valueh (empty for the key's default value).`,
  async impl(ctx, [h]) {
    return value(ctx, h).name;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(CURRENT)], expect: 'Current' },
      { disk: 'win10', setup: [OPEN], args: [String(SELECT)], error: /^8224: not a value handle$/ },
    ];
  },
});

export const hivexValueType = defineOp({
  name: 'hivex-value-type',
  group: 'hivex',
  args: [valueh],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the type of a value',
  description: `Print the type of the value as a number: 1 REG_SZ, 2 REG_EXPAND_SZ, 3 REG_BINARY,
    4 REG_DWORD, 5 REG_DWORD_BIG_ENDIAN, 7 REG_MULTI_SZ, 11 REG_QWORD, ….`,
  async impl(ctx, [h]) {
    return value(ctx, h).type;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(CURRENT)], expect: '4' },
      { disk: 'win10', setup: [OPEN], args: [String(DRIVE_C)], expect: '3' },
    ];
  },
});

export const hivexValueString = defineOp({
  name: 'hivex-value-string',
  group: 'hivex',
  aliases: ['hivex-value-utf8'],
  args: [valueh],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print a string value',
  description: `Print the data of a REG_SZ, REG_EXPAND_SZ or REG_LINK value as text (UTF-16LE decoded,
    up to the first NUL); an error for other types.`,
  async impl(ctx, [h]) {
    const v = value(ctx, h);
    if (v.type !== REG_SZ && v.type !== REG_EXPAND_SZ && v.type !== REG_LINK) {
      throw new JootError('EINVAL', `value "${v.name}" is ${v.typeName}, not a string`);
    }
    return decodeString(v.data);
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(COMPUTER_NAME)], expect: 'WIN10-PHONY' },
      { disk: 'win10', setup: [OPEN], args: [String(CURRENT)], error: /^value "Current" is REG_DWORD, not a string$/ },
    ];
  },
});

export const hivexValueValue = defineOp({
  name: 'hivex-value-value',
  group: 'hivex',
  args: [valueh],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print the raw data of a value',
  description: `Write the data of the value with handle valueh as it is stored, byte for byte, with
    nothing added (as guestfish does; pipe it to a file or to hexdump: "hivex-value-value 123 |
    od -c"). The type says how to read it: see hivex-value-type.`,
  async impl(ctx, [h]) {
    await ctx.out.write(value(ctx, h).data);
    return undefined;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      // \DosDevices\C: is the disk signature and the partition's byte offset (12 bytes)
      { disk: 'win10', setup: [OPEN], args: [String(DRIVE_C)], expect: '101W\0\0\x10\0\0\0\0\0' },
    ];
  },
});

export const hivexValueDword = defineOp({
  name: 'hivex-value-dword',
  group: 'hivex',
  args: [valueh],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'print a dword value',
  description: `Print the data of a REG_DWORD or REG_DWORD_BIG_ENDIAN value in decimal; an error for
    other types.`,
  async impl(ctx, [h]) {
    const v = value(ctx, h);
    if (v.type !== REG_DWORD && v.type !== REG_DWORD_BIG_ENDIAN)
      throw new JootError('EINVAL', `value "${v.name}" is ${v.typeName}, not a dword`);
    return v.dword();
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      { disk: 'win10', setup: [OPEN], args: [String(CURRENT)], expect: '1' },
      { disk: 'win10', setup: [OPEN], args: [String(COMPUTER_NAME)], error: /^value "ComputerName" is REG_SZ, not a dword$/ },
    ];
  },
});

/**
 * The bytes of hivex-node-set-value's val for type t. guestfish passes val's characters as
 * bytes, but a jfish (or guestfish) string cannot hold a NUL, which every REG_SZ and most dwords
 * need: so val is read by type, and "hex:" gives raw bytes for any type.
 */
export function valueBytes(t: number, val: string): Buffer {
  if (/^hex:/i.test(val)) {
    const hex = val.slice(4).replace(/[\s,]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new JootError('EINVAL', `${val}: not hex bytes (hex:01,02,ff)`);
    return Buffer.from(hex, 'hex');
  }
  const num = (bits: 32 | 64): bigint => {
    const s = val.trim();
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(s)) throw new JootError('EINVAL', `${val}: not a number`);
    const n = BigInt(s);
    if (n >= 1n << BigInt(bits)) throw new JootError('EINVAL', `${val}: does not fit in ${bits} bits`);
    return n;
  };
  switch (t) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_LINK:
      return encodeString(val);
    case REG_MULTI_SZ:
      return encodeMultiString(val === '' ? [] : val.split('\n'));
    case REG_DWORD:
      return encodeDword(Number(num(32)));
    case REG_DWORD_BIG_ENDIAN: {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(Number(num(32)));
      return b;
    }
    case REG_QWORD:
      return encodeQword(num(64));
    default:
      if ([...val].some((c) => c.codePointAt(0)! > 0xff))
        throw new JootError('EINVAL', 'val: each character is one byte (or write hex:01,02,ff)');
      return Buffer.from(val, 'latin1');
  }
}

export const hivexNodeAddChild = defineOp({
  name: 'hivex-node-add-child',
  group: 'hivex',
  args: [
    { name: 'parent', type: 'int' },
    { name: 'name', type: 'string' },
  ],
  returns: 'int64',
  needsLaunch: true,
  writes: true,
  summary: 'add a subkey',
  description: `Add a subkey called name to the key with handle parent and print its handle. An error
    when parent has a subkey of that name already (names compare case-insensitively, as Windows
    does), or when name is empty or holds a backslash. Needs hivex-open … write:true; the file
    changes only at hivex-commit.`,
  async impl(ctx, [parent, name]) {
    writable(ctx);
    if (name === '' || name.includes('\\')) throw new JootError('EINVAL', `"${name}": not a key name (empty, or holds a backslash)`);
    const p = node(ctx, parent);
    if (p.child(name)) throw new JootError('EINVAL', `${name}: the key has a subkey of that name`);
    return handleOf(p.addChild(name).offset);
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'win10',
        setup: [OPEN_RW],
        args: [String(ROOT), 'Joot'],
        expect: '10688',
        check: { run: ['hivex-node-get-child', String(ROOT), 'joot'], expect: '10688' },
      },
      { disk: 'win10', setup: [OPEN_RW], args: [String(ROOT), 'SELECT'], error: /^SELECT: the key has a subkey of that name$/ },
      {
        disk: 'win10',
        setup: [OPEN],
        args: [String(ROOT), 'Joot'],
        error: /the hive was not opened for writing/,
        title: 'hivex-node-add-child on a hive opened read-only',
      },
    ];
  },
});

export const hivexNodeDeleteChild = defineOp({
  name: 'hivex-node-delete-child',
  group: 'hivex',
  args: [nodeh],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'delete a key and everything below it',
  description: `Delete the key with handle nodeh, its values and all its subkeys (not the root key).
    Handles of what was deleted are not valid afterwards. Needs hivex-open … write:true; the file
    changes only at hivex-commit.`,
  async impl(ctx, [h]) {
    writable(ctx);
    node(ctx, h).delete();
    return undefined;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'win10',
        setup: [OPEN_RW],
        args: [String(SELECT)],
        check: { run: ['hivex-node-get-child', String(ROOT), 'Select'], expect: '0' },
      },
    ];
  },
});

export const hivexNodeSetValue = defineOp({
  name: 'hivex-node-set-value',
  group: 'hivex',
  args: [nodeh, { name: 'key', type: 'string' }, { name: 't', type: 'int' }, { name: 'val', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create or replace a value',
  description: `Set the value key ("" for the default value) of nodeh to type t with the data val.
    A jfish string cannot hold a NUL byte, so val is read by type: text for REG_SZ (1),
    REG_EXPAND_SZ (2) and REG_LINK (6), stored as UTF-16LE with its terminating NUL; lines ("\n"
    between them) for REG_MULTI_SZ (7); a decimal or 0x number for REG_DWORD (4),
    REG_DWORD_BIG_ENDIAN (5) and REG_QWORD (11); for other types each character is one byte, as
    guestfish takes it. "hex:01,02,ff" gives raw bytes for any type. Needs hivex-open … write:true;
    the file changes only at hivex-commit.`,
  async impl(ctx, [h, key, t, val]) {
    writable(ctx);
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) throw new JootError('EINVAL', `${t}: not a value type (0 to 4294967295)`);
    node(ctx, h).setValue(key, t, valueBytes(t, val));
    return undefined;
  },
  guestfishDiffers: NO_HIVEX_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'win10',
        setup: [OPEN_RW],
        args: [String(SELECT), 'Note', '1', 'set by jfish'],
        check: { run: ['hivex-node-get-value', String(SELECT), 'note'], expect: '9640' },
      },
      { disk: 'win10', setup: [OPEN_RW], args: [String(SELECT), 'Current', '4', 'x'], error: /^x: not a number$/ },
    ];
  },
});

export const hivexCommit = defineOp({
  name: 'hivex-commit',
  group: 'hivex',
  args: [{ name: 'filename', type: 'path', optional: true }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'write the hive back',
  description: `Write the open hive, with its changes, to filename in the guest, or over the file it was
    opened from when filename is left out or "" (guestfish's empty optional string). The new file is written to a temporary file, synced and
    renamed into place, so the old hive stays whole until the new one is complete. Needs
    hivex-open … write:true.`,
  async impl(ctx, [filename]) {
    const h = writable(ctx);
    const target = filename || h.path;
    await ctx.session.writer.writeAtomic(target, h.hive.serialize());
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'win10', title: 'hivex-commit with no file name writes the hive it opened', setup: [OPEN_RW], args: [] },
      {
        from: 'libguestfs',
        disk: 'win10',
        setup: [OPEN_RW],
        args: ['/hivex_commit2_copy'],
        check: { run: ['is-file', '/hivex_commit2_copy'], expect: 'true' },
      },
      {
        disk: 'win10',
        setup: [OPEN_RW, ['hivex-node-add-child', String(ROOT), 'Joot']],
        args: ['/SYSTEM.new'],
        check: { run: ['is-file', '/SYSTEM.new'], expect: 'true' },
      },
      {
        disk: 'win10',
        setup: [OPEN_RW, ['hivex-node-add-child', String(ROOT), 'JootCommitted']],
        args: [''],
        check: { run: ['grep', 'JootCommitted', SYSTEM, 'fixed:true'], expect: /JootCommitted/ },
        title: 'hivex-commit "" writes over the file the hive was opened from',
      },
      {
        disk: 'win10',
        setup: [OPEN],
        args: [],
        error: /the hive was not opened for writing/,
        title: 'hivex-commit of a hive opened read-only',
      },
    ];
  },
});

export const records = [
  hivexOpen,
  hivexClose,
  hivexRoot,
  hivexNodeName,
  hivexNodeChildren,
  hivexNodeGetChild,
  hivexNodeParent,
  hivexNodeValues,
  hivexNodeGetValue,
  hivexValueKey,
  hivexValueType,
  hivexValueString,
  hivexValueValue,
  hivexValueDword,
  hivexNodeAddChild,
  hivexNodeDeleteChild,
  hivexNodeSetValue,
  hivexCommit,
] as const;
