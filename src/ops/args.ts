// Turning a command's words into typed values, from its ArgSpecs alone: counts, ints,
// bools, device/path shapes. Commands never parse their own arguments.
import { parseInt32, parseSafeInt } from '../core/numbers.js';
import { JootError } from '../core/errors.js';
import { splitCommandLine } from '../core/words.js';
import type { ArgSpec, ArgValue, Signature } from './arg-spec.js';

/** `mount mountable mountpoint`, `help [cmd]`, `foo name...`, `add filename [format:..] [readonly:true|false]` */
export function usage(cmd: Signature): string {
  const parts = wordArgs(cmd).map((a) =>
    a.named ? `[${a.name}:${a.type === 'bool' ? 'true|false' : '..'}]` : a.variadic ? `${a.name}...` : a.optional ? `[${a.name}]` : a.name,
  );
  return [cmd.name, ...parts].join(' ');
}

/** The arguments given as words: all but keys, which jfish asks for. */
function wordArgs(cmd: Pick<Signature, 'args'>): readonly ArgSpec[] {
  return cmd.args.filter((a) => a.type !== 'key');
}

function countText(cmd: Pick<Signature, 'args'>): string {
  const args = wordArgs(cmd);
  const min = args.filter((a) => !a.optional && !a.variadic).length;
  const variadic = args.some((a) => a.variadic);
  const max = args.length;
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (variadic) return `at least ${plural(min)}`;
  if (min === max) return plural(min);
  return `${min} to ${plural(max)}`;
}

function bad(spec: ArgSpec, word: string, what: string): JootError {
  return new JootError('EINVAL', `${spec.name}: '${word}' is not ${what}`);
}

const truthy = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const falsy = new Set(['false', 'f', 'no', 'n', 'off', '0']);

/** Convert and check one word for its spec. */
export function parseOne(spec: ArgSpec, word: string): string | number | boolean {
  switch (spec.type) {
    case 'int':
      // guestfish's syntax: decimal, 0x hex, 0 octal (chmod 0755), size suffixes (1M)
      return parseInt32(word, spec.name);
    case 'int64':
      return parseSafeInt(word, spec.name);
    case 'bool': {
      const w = word.toLowerCase();
      if (truthy.has(w)) return true;
      if (falsy.has(w)) return false;
      throw bad(spec, word, 'a boolean (true or false)');
    }
    case 'device':
      if (!word.startsWith('/dev/')) throw bad(spec, word, 'a device name (/dev/…)');
      return word;
    case 'mountable':
      if (!word.startsWith('/dev/') && !word.startsWith('btrfsvol:')) throw bad(spec, word, 'a device or filesystem name (/dev/…)');
      return word;
    case 'path':
      if (!word.startsWith('/')) throw bad(spec, word, 'an absolute path (it must start with /)');
      return word;
    case 'filein':
    case 'fileout':
    case 'string':
    case 'key':
      if ((spec.type === 'filein' || spec.type === 'fileout') && word === '') throw bad(spec, word, 'a file name');
      return word;
  }
}

/**
 * Check the count and convert every word; throws JootError('EINVAL') naming the usage. Key
 * arguments are not words: their places in the result are left undefined for the caller to
 * fill (jfish asks for them).
 */
export function parseArgs(cmd: Signature, words: readonly string[]): ArgValue[] {
  if (cmd.args.some((a) => a.type === 'key')) {
    const parsed = parseArgs({ name: cmd.name, args: wordArgs(cmd) }, words);
    return cmd.args.map((a) => (a.type === 'key' ? undefined : parsed.shift()));
  }
  const specs = cmd.args;
  const named = specs.filter((a) => a.named);
  if (named.length) return parseWithNamed(cmd, words, named);
  const min = specs.filter((a) => !a.optional && !a.variadic).length;
  const variadic = specs.some((a) => a.variadic);
  if (words.length < min || (!variadic && words.length > specs.length)) {
    throw new JootError('EINVAL', `expected ${countText(cmd)}: usage: ${usage(cmd)}`);
  }
  const values: ArgValue[] = [];
  specs.forEach((spec, i) => {
    if (spec.variadic) {
      const items = spec.list ? words.slice(i).flatMap((w) => splitCommandLine(w)) : words.slice(i);
      values.push(items.map((w) => parseOne(spec, w)) as ArgValue);
    } else {
      const w = words[i];
      values.push(w === undefined || emptyOptional(spec, w) ? undefined : parseOne(spec, w));
    }
  });
  return values;
}

/** guestfish's OptString: an empty word for an optional string or path means "not given" (hivex-commit ""). */
function emptyOptional(spec: ArgSpec, word: string): boolean {
  return word === '' && spec.optional === true && !spec.named && (spec.type === 'string' || spec.type === 'path');
}

/**
 * Check values given directly (the library's callers): the same rules as for words, on typed
 * values. Missing required arguments, wrong types and bad shapes throw JootError('EINVAL').
 */
export function checkValues(cmd: Signature, values: readonly unknown[]): void {
  cmd.args.forEach((spec, i) => {
    const v = values[i];
    if (v === undefined || (typeof v === 'string' && emptyOptional(spec, v))) {
      if (spec.optional || spec.variadic) return;
      throw new JootError('EINVAL', `${spec.name}: missing: usage: ${usage(cmd)}`);
    }
    for (const one of spec.variadic && Array.isArray(v) ? v : [v]) checkValue(spec, one);
  });
}

function checkValue(spec: ArgSpec, v: unknown): void {
  switch (spec.type) {
    case 'int':
      if (!Number.isInteger(v) || (v as number) < -(2 ** 31) || (v as number) >= 2 ** 31) throw bad(spec, String(v), 'a 32-bit integer');
      return;
    case 'int64':
      if (!Number.isSafeInteger(v)) throw bad(spec, String(v), 'an integer');
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw bad(spec, String(v), 'a boolean (true or false)');
      return;
    default:
      if (typeof v !== 'string') throw bad(spec, String(v), 'a string');
      parseOne(spec, v);
  }
}

/**
 * A command with named optional arguments (specProblems keeps them last): the positional
 * words first, then `name:value` words in any order, each name at most once. Values come
 * back in spec order, undefined for a name not given.
 */
function parseWithNamed(cmd: Signature, words: readonly string[], named: readonly ArgSpec[]): ArgValue[] {
  const positional = cmd.args.filter((a) => !a.named);
  const isNamed = (w: string): boolean => named.some((a) => w.startsWith(`${a.name}:`));
  const min = positional.filter((a) => !a.optional).length;
  // optional positional arguments end where the first known `name:` word starts
  let n = 0;
  while (n < words.length && n < positional.length && (n < min || !isNamed(words[n]!))) n++;
  if (n < min) throw new JootError('EINVAL', `expected ${countText(cmd)}: usage: ${usage(cmd)}`);
  const values: ArgValue[] = positional.map((spec, i) =>
    i < n && !emptyOptional(spec, words[i]!) ? parseOne(spec, words[i]!) : undefined,
  );
  const given = new Map<string, string>();
  for (const w of words.slice(n)) {
    const colon = w.indexOf(':');
    const key = colon < 0 ? '' : w.slice(0, colon);
    if (!named.some((a) => a.name === key)) {
      const known = named.map((a) => `${a.name}:`).join(', ');
      throw new JootError('EINVAL', `'${w}': expected an optional argument (${known}): usage: ${usage(cmd)}`);
    }
    if (given.has(key)) throw new JootError('EINVAL', `${key}: given twice`);
    given.set(key, w.slice(colon + 1));
  }
  for (const spec of named) {
    const w = given.get(spec.name);
    values.push(w === undefined ? undefined : parseOne(spec, w));
  }
  return values;
}

/** Problems with a command's ArgSpecs (checked when the table loads). */
export function specProblems(cmd: Signature): string[] {
  const problems: string[] = [];
  const types = new Set(['device', 'mountable', 'path', 'string', 'int', 'int64', 'bool', 'filein', 'fileout', 'key']);
  cmd.args.forEach((a, i) => {
    const last = i === cmd.args.length - 1;
    if (!a.name) problems.push(`${cmd.name}: argument ${i + 1} has no name`);
    if (!types.has(a.type)) problems.push(`${cmd.name}: argument ${a.name} has no valid type`);
    if (a.variadic && !last) problems.push(`${cmd.name}: only the last argument can be variadic`);
    const next = cmd.args[i + 1];
    if (a.optional && next && !next.optional && !next.variadic) problems.push(`${cmd.name}: optional ${a.name} before a required argument`);
    if (a.named && !a.optional) problems.push(`${cmd.name}: named ${a.name} must be optional too`);
    if (a.named && a.variadic) problems.push(`${cmd.name}: named ${a.name} cannot be variadic`);
    if (a.list && !a.variadic) problems.push(`${cmd.name}: list ${a.name} must be variadic`);
    if (a.named && next && !next.named) problems.push(`${cmd.name}: named ${a.name} before a positional argument`);
    if (a.named && cmd.args.some((b) => b.variadic)) problems.push(`${cmd.name}: named ${a.name} with a variadic argument`);
    if (a.type === 'key' && (a.optional || a.variadic || a.named)) problems.push(`${cmd.name}: key ${a.name} must be a plain argument`);
  });
  return problems;
}
