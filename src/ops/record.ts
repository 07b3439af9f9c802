// The shape of one jfish command record. Every command is declared once, with a typed
// signature; the parser, the validation, `help` and the dispatcher all read these records.
import type { Session } from '../appliance/index.js';
import type { Writer } from '../core/output.js';

export type ArgType = 'device' | 'mountable' | 'path' | 'string' | 'int' | 'int64' | 'bool' | 'filein' | 'fileout';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** May be left out (only trailing arguments). */
  readonly optional?: boolean;
  /** Takes all remaining words (only the last argument). */
  readonly variadic?: boolean;
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

/**
 * The session a jfish process works on. `reopen` replaces it, so commands must read
 * `ctx.session` each time they need it rather than keep it.
 */
export interface SessionHolder {
  /** the current session */
  readonly session: Session;
  /** Add a drive to the current (not yet launched) session; `reopen` adds it again. */
  addDrive(path: string, opts: { format?: string; readonly: boolean }): void;
  /**
   * Close the current session and open a new one on the same drives (same formats and
   * modes), launched if the old one was. Mounts are not restored.
   */
  reopen(): Promise<void>;
}

/** What a running command can reach. */
export interface Ctx {
  /** The current session (a getter on `sessions`: it changes after `reopen`). */
  readonly session: Session;
  readonly out: Writer;
  /** --ro was given: every drive is read-only and `mount` mounts read-only. */
  readonly readonly: boolean;
  /** The command table (for `help`), passed in to keep commands free of import cycles. */
  readonly table: CommandTable;
  /** Where the session lives: `add` and `reopen` go through it. */
  readonly sessions: SessionHolder;
  /**
   * Run one command (name and words, as typed) through the dispatcher, with this context:
   * for commands that run other commands (`time`). Throws what the dispatcher throws.
   */
  readonly dispatch: (line: readonly string[]) => Promise<void>;
}

export interface CommandTable {
  readonly commands: readonly Command[];
  lookup(name: string): Command | undefined;
}

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

interface CommandFields {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly group: Group;
  /** Refused (by the dispatcher) until `run` has launched the session. */
  readonly needsLaunch: boolean;
  /** One line, for the command list. */
  readonly summary: string;
  /** Long help, for `help CMD`. */
  readonly description: string;
}

export interface CommandDef<A extends readonly ArgSpec[]> extends CommandFields {
  readonly args: A;
  run(ctx: Ctx, args: ArgValues<A>): Promise<void>;
}

/** A command record with its argument types erased: what the table holds. */
export interface Command extends CommandFields {
  readonly args: readonly ArgSpec[];
  run(ctx: Ctx, args: ArgValue[]): Promise<void>;
}

/** Declare a command: run() gets arguments typed from `args`. */
export function defineCommand<const A extends readonly ArgSpec[]>(def: CommandDef<A>): Command {
  return def as unknown as Command;
}
