// One guest operation, declared once: its name, typed arguments, help, what it returns, its
// implementation and its own tests (libguestfs: one record per action in
// generator/actions_*.ml). The library's functions (library.ts), jfish's parser, help,
// completion, docs and remote mode are all views of these records.
import type { Session } from '../appliance/session.js';
import type { Writer } from '../core/output.js';
import type { ArgSpec, ArgValues, Group } from './arg-spec.js';

/**
 * What an operation returns, as libguestfs's return types: jfish prints each kind one way
 * (printResult), the library hands the value over as it is.
 * - 'none': nothing (RErr)
 * - 'string' / 'strings': one string, a list printed one per line (RString, RStringList)
 * - 'bool' / 'int' / 'int64': printed as true/false or digits (RBool, RInt, RInt64)
 * - 'hash': key → value, printed `key: value` (RHashtable)
 * - 'struct' / 'structs': one record or a list of them, printed as guestfish prints structs
 * - 'stream': the operation writes its bytes to `ctx.out` itself (cat, download to -, tar-out
 *   to -); the library collects them into a Buffer when the caller gives no writer. Where
 *   libguestfs's action returns a string (RString: cat, command, sh) the record says
 *   `stringResult`, and jfish prints a newline after the bytes, as guestfish prints every string
 *   (RBufferOut actions, read-file and hivex-value-value, are printed raw)
 */
export type Returns = 'none' | 'string' | 'strings' | 'bool' | 'int' | 'int64' | 'hash' | 'struct' | 'structs' | 'stream';

/** One struct's fields, in order (guestfish prints them in this order). */
export type StructFields = [string, string | number | bigint][];

export interface ReturnMap {
  none: undefined;
  string: string;
  strings: string[];
  bool: boolean;
  int: number;
  int64: number | bigint;
  hash: [string, string][];
  struct: StructFields;
  structs: StructFields[];
  stream: undefined;
}

export type ReturnValue<R extends Returns> = ReturnMap[R];

/** What a running operation can reach. */
export interface OpContext {
  /** The session (read each time: jfish's `reopen` replaces it). */
  readonly session: Session;
  /** Where 'stream' operations write their bytes (and nothing else does). */
  readonly out: Writer;
  /** Every drive is read-only: `mount` mounts read-only. */
  readonly readonly: boolean;
  /** A non-fatal warning, one line (jfish prints `jfish: CMD: message` on stderr). */
  warn(message: string): void;
  /** Standard input, for operations that read `-` (upload - FILE). */
  readonly stdin: NodeJS.ReadableStream;
  /** Where a progress bar may go (only drawn when it is a terminal). */
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

/**
 * One test of an operation, run against a fresh prepared disk (test/integration/op-records):
 * `setup` lines run first, then the operation with `args`; `expect` is the value it must
 * return (printed as jfish prints it, compared as text), or `error` must match its error.
 */
export interface OpTest {
  /**
   * a prepared disk as `jfish -N` names it (default 'fs': one ext2 filesystem on an MBR partition,
   * mounted at /), or a fixture disk of test/integration/op-disks.ts. libguestfs's tests/c-api
   * init kinds: InitEmpty → 'disk', InitPartition → 'part', InitGPT → 'part::gpt', InitBasicFS
   * and InitScratchFS → 'fs' ('fs:ext2:500M' where the size shows), InitBasicFSonLVM → 'lvfs',
   * InitISOFS → 'iso' (its test.iso, mounted read-only at /)
   */
  readonly disk?: string;
  /** jfish command lines run before, as words (['write', '/f', 'hello']) */
  readonly setup?: readonly (readonly string[])[];
  /** the operation's arguments as jfish words */
  readonly args: readonly string[];
  /** what jfish prints for the result (lines joined by "\n", no final newline); a RegExp to match */
  readonly expect?: string | RegExp;
  /** the operation fails, with a message matching this */
  readonly error?: RegExp;
  /** jfish lines run after the operation and before `check` (a libguestfs test's later commands) */
  readonly after?: readonly (readonly string[])[];
  /**
   * a jfish line run last (checks a side effect): what it prints must match `expect`, or it must
   * fail with an error matching `error` (libguestfs's TestLastFail after the operation)
   */
  readonly check?:
    | { readonly run: readonly string[]; readonly expect: string | RegExp; readonly error?: undefined }
    | { readonly run: readonly string[]; readonly error: RegExp; readonly expect?: undefined };
  /** open the prepared disk read-only */
  readonly readonly?: boolean;
  /** run it on the userspace engine (with `readonly`: that engine only reads); the iso kind always is */
  readonly engine?: 'userspace';
  /** what the test shows, when the arguments do not say it */
  readonly title?: string;
  /** translated from the action's test in libguestfs's generator */
  readonly from?: 'libguestfs';
  /**
   * with `from`: the test is one of another action's (libguestfs's name, e.g. set_e2label's test
   * that reads back with get_e2label), so it does not count as one of this action's
   */
  readonly fromAction?: string;
}

interface OpFields {
  readonly aliases?: readonly string[];
  readonly group: Group;
  /** Refused until the session is launched. */
  readonly needsLaunch: boolean;
  /**
   * It changes the guest or its drives (guestfish's sense: a hive edit, held in memory until
   * hivex-commit, writes too; download, copy-out and tar-out only write the host). Required, so
   * no record forgets it: jfish runs a script none of whose commands writes on the userspace
   * engine. When unsure, it writes.
   */
  readonly writes: boolean;
  /** One line, for the command list. */
  readonly summary: string;
  /** Long help, for `help CMD` and the docs. */
  readonly description: string;
  /** Its own tests (every record has at least one; test/unit/op-records checks). */
  readonly tests: readonly OpTest[];
  /**
   * Why the record carries no test translated from libguestfs (`from: 'libguestfs'`): libguestfs
   * has none for the action, the command is jfish's own, or jfish differs on purpose (and how).
   * Every record has such a test or this (test/unit/op-records checks). Also why some of
   * libguestfs's tests of the action are left out when others are translated.
   */
  readonly guestfishDiffers?: string;
  /**
   * One line per test of the action in libguestfs's generator that the record leaves out, saying
   * which test and why: the record's own translated tests plus these are as many as libguestfs's
   * (test/unit/op-records checks against test/unit/libguestfs-test-counts.ts).
   */
  readonly untranslated?: readonly string[];
  /** A 'stream' whose libguestfs action returns RString: jfish prints "\n" after the bytes. */
  readonly stringResult?: boolean;
  /** An 'int' guestfish prints in hex (0x83) or octal (022): its FishOutputHexadecimal / Octal. */
  readonly printAs?: 'hex' | 'octal';
}

export interface OpDef<N extends string, A extends readonly ArgSpec[], R extends Returns> extends OpFields {
  readonly name: N;
  readonly args: A;
  readonly returns: R;
  impl(ctx: OpContext, args: ArgValues<A>): Promise<ReturnValue<R>>;
}

/** A record with its types erased: what tables hold. */
export interface Op extends OpFields {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  readonly returns: Returns;
  impl(ctx: OpContext, args: readonly unknown[]): Promise<unknown>;
}

/** Declare an operation: impl() gets arguments typed from `args` and returns what `returns` says. */
export function defineOp<const N extends string, const A extends readonly ArgSpec[], const R extends Returns>(
  def: OpDef<N, A, R>,
): OpDef<N, A, R> {
  return def;
}

/** The erased view of a typed record. */
export function erase<N extends string, A extends readonly ArgSpec[], R extends Returns>(op: OpDef<N, A, R>): Op {
  return op as unknown as Op;
}
