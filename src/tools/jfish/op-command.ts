// jfish's view of an operation record: a shell command that runs the record's implementation
// and prints what it returns the way guestfish prints each return type.
import type { Writer } from '../../core/output.js';
import type { Op, OpContext, Returns, StructFields } from '../../ops/op.js';
import type { ArgValue } from '../../ops/arg-spec.js';
import type { Command, Ctx } from './command.js';
import { fieldText, structLines, structList } from '../../ops/structs.js';
import { printError } from '../cli.js';

/** The operation's context inside jfish: warnings as `jfish: CMD: message`. */
export function opContext(ctx: Ctx, name: string): OpContext {
  return {
    get session() {
      return ctx.session;
    },
    out: ctx.out,
    readonly: ctx.readonly,
    warn: (m) => printError('jfish', `${name}: ${m}`),
    // getters: node makes these streams (and loads node:stream) on first touch, ~10 ms each
    get stdin() {
      return process.stdin;
    },
    get stderr() {
      return process.stderr;
    },
  };
}

/**
 * Print a result as guestfish does for its return type: every string is followed by "\n"
 * (printf "%s\n"), also an empty one and the streamed bytes of an RString action (cat of a file
 * holding "a\n" prints "a\n\n"); raw buffers (RBufferOut) are written as they are.
 */
export async function printResult(
  out: Writer,
  returns: Returns,
  value: unknown,
  how: { readonly stringResult?: boolean; readonly printAs?: 'hex' | 'octal' } = {},
): Promise<void> {
  switch (returns) {
    case 'none':
      return;
    case 'stream':
      if (how.stringResult) await out.write('\n');
      return;
    case 'string':
      return out.lines([value as string]);
    case 'strings':
      return out.lines(value as string[]);
    case 'bool':
      return out.lines([value ? 'true' : 'false']);
    case 'int':
    case 'int64':
      if (how.printAs) return out.lines([radixText(value as number | bigint, how.printAs)]);
      return out.lines([fieldText(value as number | bigint)]);
    case 'hash':
      return out.lines((value as [string, string][]).map(([k, v]) => `${k}: ${v}`));
    case 'struct':
      return out.lines(structLines(value as StructFields));
    case 'structs':
      return out.lines(structList(value as StructFields[]));
  }
}

/** guestfish's hex and octal ints: a 0x or 0 prefix, except for zero itself (printf "%s%x"). */
function radixText(n: number | bigint, as: 'hex' | 'octal'): string {
  const neg = n < 0;
  const abs = neg ? -BigInt(n) : BigInt(n);
  if (abs === 0n) return '0';
  return `${neg ? '-' : ''}${as === 'hex' ? `0x${abs.toString(16)}` : `0${abs.toString(8)}`}`;
}

/** The shell command of an operation record. */
export function commandOf(op: Op): Command {
  return {
    name: op.name,
    aliases: op.aliases,
    group: op.group,
    needsLaunch: op.needsLaunch,
    writes: op.writes,
    summary: op.summary,
    description: op.description,
    args: op.args,
    async run(ctx: Ctx, args: ArgValue[]) {
      // key arguments are asked for, never typed on the command line
      for (const [i, a] of op.args.entries()) {
        if (a.type === 'key') args[i] = await ctx.readKey(`Enter key or passphrase ("${a.name}"): `);
      }
      const value = await op.impl(opContext(ctx, op.name), args);
      await printResult(ctx.out, op.returns, value, op);
    },
  };
}
