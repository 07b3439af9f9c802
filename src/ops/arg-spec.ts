// The typed arguments of an operation record (and of jfish's own shell commands): their
// types, the groups records belong to, and the values the parser hands over.

/**
 * 'key' is a passphrase (libguestfs's Key): the library takes it as a string like any other;
 * jfish never takes it from the command line but asks for it (the terminal, or stdin with
 * --keys-from-stdin), so it never lands in shell history or a process listing.
 */
export type ArgType = 'device' | 'mountable' | 'path' | 'string' | 'int' | 'int64' | 'bool' | 'filein' | 'fileout' | 'key';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** May be left out (only trailing arguments). */
  readonly optional?: boolean;
  /** Takes all remaining words (only the last argument). */
  readonly variadic?: boolean;
  /**
   * A guestfish list (StringList, DeviceList; with variadic): each word is split into items as
   * guestfish splits a list, on blanks, quotes keeping one item (`vgcreate VG "/dev/sda1
   * /dev/sda2"` is two devices, as `vgcreate VG /dev/sda1 /dev/sda2` is).
   */
  readonly list?: boolean;
  /**
   * Written `name:value`, after the positional arguments and in any order: guestfish's
   * optional arguments (`add disk.img format:raw readonly:true`). Also `optional`; after
   * every positional argument; not with a variadic one.
   */
  readonly named?: boolean;
}

export type Group =
  | 'session'
  | 'devices'
  | 'filesystems'
  | 'lvm'
  | 'mount'
  | 'files'
  | 'transfer'
  | 'editing'
  | 'guest'
  | 'inspection'
  | 'hivex';

export const groups: readonly Group[] = [
  'session',
  'devices',
  'filesystems',
  'lvm',
  'mount',
  'files',
  'transfer',
  'editing',
  'guest',
  'inspection',
  'hivex',
];

/** A parsed argument value. */
export type ArgValue = string | number | boolean | string[] | number[] | boolean[] | undefined;

interface ArgTypeMap {
  device: string;
  mountable: string;
  path: string;
  string: string;
  int: number;
  /** guestfish Int64 (sector numbers, sizes): a number, exact up to 2^53 */
  int64: number;
  bool: boolean;
  filein: string;
  fileout: string;
  key: string;
}

export type ValueOf<S> = S extends ArgSpec
  ? S extends { variadic: true }
    ? ArgTypeMap[S['type']][]
    : S extends { optional: true }
      ? ArgTypeMap[S['type']] | undefined
      : ArgTypeMap[S['type']]
  : never;

/** The tuple of values a command's run() receives, derived from its ArgSpecs. */
export type ArgValues<A extends readonly ArgSpec[]> = { -readonly [K in keyof A]: ValueOf<A[K]> };

/** What the argument parser needs of a record or command. */
export interface Signature {
  readonly name: string;
  readonly args: readonly ArgSpec[];
}
