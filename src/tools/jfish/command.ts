// The shape of jfish's own shell commands (add, run, help, time, …: what is a shell, not a guest
// operation) and the context every command runs with. Guest operations are records
// (src/ops/op.ts); op-command.ts makes a command of each.
import type { Session } from '../../appliance/index.js';
import type { Writer } from '../../core/output.js';
import type { ArgSpec, ArgValue, ArgValues, Group } from '../../ops/arg-spec.js';

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
  /**
   * A passphrase for a key argument (luks-open): from the terminal with echo off, or a line of
   * stdin with --keys-from-stdin (guestfish's rule).
   */
  readonly readKey: (prompt: string) => Promise<string>;
}

export interface CommandTable {
  readonly commands: readonly Command[];
  lookup(name: string): Command | undefined;
}

interface CommandFields {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly group: Group;
  /** Refused (by the dispatcher) until `run` has launched the session. */
  readonly needsLaunch: boolean;
  /** It changes the guest or its drives (src/ops/op.ts: an operation record's `writes`). */
  readonly writes: boolean;
  /**
   * Its first argument names a command it runs with the rest (time, glob): what it changes
   * is what that command changes.
   */
  readonly runsCommand?: boolean;
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
