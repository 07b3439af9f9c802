// Wildcard expansion over the guest's files, for `glob`. It walks the guest through the
// guest-rooted reader only (a glob library on the host path of the guest would follow a guest
// link like /g/link -> /etc into the HOST's /etc and leak its names). Patterns: * ? [a-z] [!x]
// {a,b} and ** (any number of directories; links are not descended by **).
import type { GuestFileReader } from '../appliance/guest-files.js';
import { WalkGuard } from '../appliance/walk-guard.js';

/** {a,b}c → ac, bc (nested braces too); a brace without a comma stays as it is. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === '}' && depth > 0 && --depth === 0) {
      const body = pattern.slice(open + 1, i);
      const alts = splitTopLevel(body);
      if (alts.length < 2) continue;
      const pre = pattern.slice(0, open);
      const post = pattern.slice(i + 1);
      return alts.flatMap((a) => expandBraces(pre + a + post));
    }
  }
  return [pattern];
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

export function hasMagic(segment: string): boolean {
  return /[*?[]/.test(segment.replace(/\\./g, ''));
}

/** One path segment's pattern as an anchored regular expression. */
export function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) re += escapeGlobChar(segment[++i]!);
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = end;
    } else re += escapeGlobChar(c);
  }
  return new RegExp(`^${re}$`);
}

/** One literal character of a glob, escaped for a RegExp (tar/walk.ts uses it too). */
export function escapeGlobChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Every existing guest path matching an absolute pattern, sorted; [] when none. */
export async function guestGlob(reader: GuestFileReader, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  for (const p of expandBraces(pattern)) {
    const segments = p.split('/').filter((s) => s !== '');
    for (const hit of await walk(reader, '/', segments)) found.add(hit);
  }
  return [...found].sort();
}

const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** `tree`: the directories this ** has listed since it began (walk-guard.ts), so that a guest's
 *  directory loop cannot make it endless. */
async function walk(reader: GuestFileReader, dir: string, segments: string[], tree?: WalkGuard): Promise<string[]> {
  if (segments.length === 0) return [dir];
  const [seg, ...rest] = segments as [string, ...string[]];
  if (seg === '**') {
    // zero directories here, or one more real directory (never a link) and ** again
    const guard = tree ?? new WalkGuard((p) => reader.filesystemOf(p));
    guard.checkDepth(dir);
    const here = await walk(reader, dir, rest);
    const names = await entries(reader, dir);
    const node = await reader.node(dir).catch(() => undefined);
    if (!node || !guard.enter(dir, node.stat, names.length)) return here;
    const deeper: string[] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const child = join(dir, name);
      const st = await reader.lstat(child).catch(() => undefined);
      if (st?.isDirectory) deeper.push(...(await walk(reader, child, segments, guard)));
    }
    return [...here, ...deeper];
  }
  if (!hasMagic(seg)) {
    const name = seg.replace(/\\(.)/g, '$1');
    const child = join(dir, name);
    if (
      !(await reader.lstat(child).then(
        () => true,
        () => false,
      ))
    )
      return [];
    return walk(reader, child, rest);
  }
  const re = segmentRegex(seg);
  const out: string[] = [];
  for (const name of await entries(reader, dir)) {
    if (name.startsWith('.') && !seg.startsWith('.')) continue;
    if (re.test(name)) out.push(...(await walk(reader, join(dir, name), rest)));
  }
  return out;
}

async function entries(reader: GuestFileReader, dir: string): Promise<string[]> {
  try {
    return await reader.readdir(dir);
  } catch {
    return []; // not a directory, or unreadable: no matches below it
  }
}
