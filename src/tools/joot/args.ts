// joot's command-line parsing: a small getopt for each subcommand (options before or after
// the operands, --opt=value or --opt value, `--` ends the options), and name validation.
import { JootError } from '../../core/errors.js';
import { UsageError } from '../cli.js';

export interface OptSpec {
  /** long name without dashes → takes a value? */
  [name: string]: { value: boolean; short?: string };
}

export interface Parsed {
  opts: Map<string, string | true>;
  operands: string[];
  /** what follows a lone `--` (enter's command) */
  rest?: string[];
}

/** Parse `args` for subcommand `cmd`. Unknown options are usage errors. */
export function parseArgs(cmd: string, args: readonly string[], spec: OptSpec, opts: { restAfterDashes?: boolean } = {}): Parsed {
  const out: Parsed = { opts: new Map(), operands: [] };
  const shorts = new Map(
    Object.entries(spec)
      .filter(([, s]) => s.short)
      .map(([n, s]) => [s.short!, n]),
  );
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      const after = args.slice(i + 1);
      if (opts.restAfterDashes) out.rest = after;
      else out.operands.push(...after);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const s = spec[name];
      if (!s) throw new UsageError(`${cmd}: unknown option --${name} (try 'joot --help')`);
      if (s.value) {
        let v: string | undefined;
        if (eq >= 0) v = a.slice(eq + 1);
        else v = args[++i];
        if (v === undefined) throw new UsageError(`${cmd}: --${name} needs a value`);
        out.opts.set(name, v);
      } else {
        if (eq >= 0) throw new UsageError(`${cmd}: --${name} takes no value`);
        out.opts.set(name, true);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const name = shorts.get(a.slice(1, 2));
      if (!name) throw new UsageError(`${cmd}: unknown option ${a} (try 'joot --help')`);
      if (spec[name]!.value) {
        const v = a.length > 2 ? a.slice(2) : args[++i];
        if (v === undefined) throw new UsageError(`${cmd}: ${a} needs a value`);
        out.opts.set(name, v);
      } else {
        if (a.length > 2) throw new UsageError(`${cmd}: unknown option ${a}`);
        out.opts.set(name, true);
      }
      continue;
    }
    out.operands.push(a);
  }
  return out;
}

/** Exactly `n` operands (names in the message), else a usage error. */
export function operands(cmd: string, p: Parsed, names: string[], optional = 0): string[] {
  const min = names.length - optional;
  if (p.operands.length < min)
    throw new UsageError(`${cmd}: missing ${names.slice(p.operands.length).join(' ')} (usage: joot ${cmd} ${names.join(' ')})`);
  if (p.operands.length > names.length) throw new UsageError(`${cmd}: unexpected argument: ${p.operands[names.length]}`);
  return p.operands;
}

export const NAME_MAX = 64;

/**
 * Why `name` cannot name a joot or an image, or undefined when it can: 1–64 characters of
 * letters, digits and `_ . + -`, starting with a letter or digit (no slashes, no leading dot
 * or dash, nothing a shell or a path would read specially).
 */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (name.length > NAME_MAX) return `longer than ${NAME_MAX} characters`;
  if (name.includes('/')) return 'contains a slash';
  if (name.startsWith('.')) return 'starts with a dot';
  if (name.startsWith('-')) return 'starts with a dash';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name)) return 'may only contain letters, digits and _ . + - (starting with a letter or digit)';
  return undefined;
}

/** Throw a one-line error (exit 1) for a bad name. */
export function checkName(kind: 'joot' | 'image', name: string): string {
  const why = nameProblem(name);
  if (why) throw new JootError('EINVAL', `'${name}': not a valid ${kind} name: ${why}`);
  return name;
}

/** 4G, 512M, 10240K, 1T, or bytes → bytes. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i.exec(s.trim());
  if (!m) return undefined;
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const n = Math.floor(Number(m[1]) * mult);
  // a size beyond 2^53 would not be passed on exactly (String(2 ** 60) is 1152921504606847000)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** 1536 → "1.5K", bytes in powers of 1024, as du -h does. */
export function humanSize(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}
