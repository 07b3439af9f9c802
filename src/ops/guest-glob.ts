// Wildcard expansion over the guest's files, for `glob`. It walks the guest through the
// guest-rooted reader only (a glob library on the host path of the guest would follow a guest
// link like /g/link -> /etc into the HOST's /etc and leak its names). Patterns: * ? [a-z] [!x]
// {a,b} and ** (any number of directories; links are not descended by **).
import type { GuestChild, GuestFileReader, GuestNode } from '../appliance/guest-files.js';
import { isDirNode, isLinkNode } from '../appliance/guest-files.js';
import { GuestWalk } from '../appliance/guest-walk.js';
import { JootError } from '../core/errors.js';

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
  const root = { path: '/', node: await reader.node('/') };
  for (const p of expandBraces(pattern)) {
    const segments = p.split('/').filter((s) => s !== '');
    for (const hit of await walk(reader, root, segments)) found.add(hit);
  }
  return [...found].sort();
}

const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** A node the walk reached, by the path the pattern spelled (links in it not resolved). */
interface At {
  path: string;
  node: GuestNode;
}

/** The directory to look into at `at`: a link is followed inside the guest (only ** never
 *  descends one); undefined for anything else. */
async function dirAt(reader: GuestFileReader, at: At): Promise<GuestNode | undefined> {
  const n = isLinkNode(at.node.stat) ? await reader.node(at.path).catch(() => undefined) : at.node;
  return n && isDirNode(n.stat) ? n : undefined;
}

/**
 * Step from node to node (children, child), never resolving a path from the root again, so that
 * a deep tree costs its size, not its size times its depth. `tree`: the directories this ** has
 * listed since it began (GuestWalk), so that a guest's directory loop cannot make it endless.
 */
async function walk(reader: GuestFileReader, at: At, segments: string[], tree?: GuestWalk): Promise<string[]> {
  if (segments.length === 0) return [at.path];
  const [seg, ...rest] = segments as [string, ...string[]];
  if (seg === '**') {
    // zero directories here, or one more real directory (never a link) and ** again
    const here = await walk(reader, at, rest);
    const walked = tree ?? new GuestWalk(reader);
    const deeper: string[] = [];
    for (const c of await entries(reader, at, walked)) {
      const name = c.name.toString('utf8');
      if (name.startsWith('.') || !isDirNode(c.node.stat)) continue;
      deeper.push(...(await walk(reader, { path: join(at.path, name), node: c.node }, segments, walked)));
    }
    return [...here, ...deeper];
  }
  if (!hasMagic(seg)) {
    const name = seg.replace(/\\(.)/g, '$1');
    const dir = await dirAt(reader, at);
    const node = dir && (await reader.child(dir, name).catch(unlessRefused));
    return node ? walk(reader, { path: join(at.path, name), node }, rest) : [];
  }
  const re = segmentRegex(seg);
  const out: string[] = [];
  for (const c of await entries(reader, at)) {
    const name = c.name.toString('utf8');
    if (name.startsWith('.') && !seg.startsWith('.')) continue;
    if (re.test(name)) out.push(...(await walk(reader, { path: join(at.path, name), node: c.node }, rest)));
  }
  return out;
}

/** A lookup or listing that fails is no match, unless a walk refused it (a loop, too deep:
 *  EFORMAT, said as the other walks say it). */
function unlessRefused(e: unknown): undefined {
  if (e instanceof JootError && e.code === 'EFORMAT') throw e;
  return undefined;
}

async function entries(reader: GuestFileReader, at: At, tree?: GuestWalk): Promise<GuestChild[]> {
  const dir = await dirAt(reader, at);
  if (!dir) return [];
  return (await (tree ?? reader).children(dir).catch(unlessRefused)) ?? [];
}
