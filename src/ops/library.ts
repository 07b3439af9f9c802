// The library view of the operation records: each record becomes a typed function named in
// camelCase (`tar-out` → tarOut), taking the session (or a full OpContext) and the record's
// arguments, returning what the record returns. A 'stream' operation's bytes come back as a
// Buffer unless the caller's context supplies a writer.
import { Session } from '../appliance/session.js';
import { JootError } from '../core/errors.js';
import { BufferWriter } from '../core/output.js';
import { checkValues } from './args.js';
import type { OpContext, OpDef, ReturnValue, Returns } from './op.js';
import type { ArgSpec, ValueOf } from './arg-spec.js';

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** A record's arguments as the library takes them: the optional (trailing) ones may be left out. */
export type LibraryArgs<A extends readonly ArgSpec[]> = A extends readonly [infer H extends ArgSpec, ...infer T extends readonly ArgSpec[]]
  ? H extends { optional: true }
    ? [arg?: ValueOf<H>, ...LibraryArgs<T>]
    : [ValueOf<H>, ...LibraryArgs<T>]
  : [];

/** The library function of one record. */
export type LibraryFn<A extends readonly ArgSpec[], R extends Returns> = (
  target: Session | OpContext,
  ...args: LibraryArgs<A>
) => Promise<R extends 'stream' ? Buffer : ReturnValue<R>>;

// biome-ignore lint/suspicious/noExplicitAny: the records' own types are read back by inference
type AnyOp = OpDef<string, any, Returns>;

export type Library<T extends readonly AnyOp[]> = {
  [O in T[number] as Camel<O['name']>]: O extends OpDef<string, infer A, infer R> ? LibraryFn<A, R> : never;
};

/** `tar-out` → `tarOut` */
export function camelName(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A context for a library call on a bare session: output kept, warnings to stderr. */
export function libraryContext(session: Session, out = new BufferWriter()): OpContext {
  return {
    session,
    out,
    readonly: false,
    warn: (m) => process.stderr.write(`joot: ${m}\n`),
    // getters: node makes these streams on first touch, and most calls never need them
    get stdin() {
      return process.stdin;
    },
    get stderr() {
      return process.stderr;
    },
  };
}

function bind(op: AnyOp): (target: Session | OpContext, ...args: unknown[]) => Promise<unknown> {
  return async (target, ...args) => {
    const collect = target instanceof Session ? new BufferWriter() : undefined;
    const ctx = target instanceof Session ? libraryContext(target, collect) : target;
    if (op.needsLaunch && !ctx.session.launched) throw new JootError('EINVAL', `${op.name}: launch the session first`);
    const full = op.args.map((_: ArgSpec, i: number) => args[i]);
    try {
      checkValues(op, full);
    } catch (e) {
      throw (e as JootError).withMessage(`${op.name}: ${(e as JootError).message}`);
    }
    const value = await op.impl(ctx, full as never);
    return op.returns === 'stream' && collect ? collect.bytes() : value;
  };
}

/** The library of a list of records: one function per record, by its camelCase name. */
export function library<const T extends readonly AnyOp[]>(ops: T): Library<T> {
  const lib: Record<string, unknown> = {};
  for (const op of ops) lib[camelName(op.name)] = bind(op);
  return lib as Library<T>;
}
