// A guest's SELinux file_contexts, and the lookup setfiles(8) does with it (file_contexts(5),
// libselinux's label_file backend): each line is `REGEX [TYPE] CONTEXT`, TYPE one of -- -d -l
// -b -c -p -s restricting it to one kind of file; the spec file is read, then SPEC.homedirs and
// SPEC.local after it. Specs whose regex has no meta character (exact paths) are moved after
// the others, keeping their order, and the LAST spec that matches the path and the file's
// kind wins. A context of <<none>> means: leave the file alone. Paths are first rewritten by
// SPEC.subs and SPEC.subs_dist (`/from /to` prefix equivalences, a whole component at a time).
// Everything here is bytes held as latin1 strings (a path or spec may be any bytes).

import { JootError } from '../../core/errors.js';
import { type Budget, FcRegex } from './fc-regex.js';

/** The context that says "do not label". */
export const NONE = '<<none>>';

/** Bounds on what a guest's spec files may make us hold. */
const MAX_SPECS = 200_000;
const MAX_LINE = 4096;
/** NFA states of all specs together (a real targeted policy's have a few hundred thousand). */
const MAX_TOTAL_STATES = 1_000_000;
/**
 * The NFA states lookups may visit: a start, and so many more per lookup (a real lookup visits
 * about a hundred). Bounds the time of a relabel to about 2 ms a file whatever the spec says.
 */
const INITIAL_STEPS = 2_000_000;
const STEPS_PER_LOOKUP = 20_000;

const S_IFMT = 0o170000;
const TYPES: Record<string, number> = {
  '--': 0o100000,
  '-d': 0o040000,
  '-l': 0o120000,
  '-b': 0o060000,
  '-c': 0o020000,
  '-p': 0o010000,
  '-s': 0o140000,
};

interface Spec {
  regex: FcRegex;
  /** S_IFMT bits the file must have; 0: any */
  type: number;
  context: string;
  /** where it was read: file:line */
  where: string;
  /** no meta character: an exact path, looked at before the regexes */
  exact: boolean;
}

interface Sub {
  from: string;
  to: string;
}

/** libselinux's meta characters: a spec with none is an exact path. A backslash escapes the next. */
function hasMeta(re: string): boolean {
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') i++;
    else if ('.^$?*+|[({'.includes(c)) return true;
  }
  return false;
}

/** One spec file's lines (latin1 text), in order. */
function parseSpecs(text: string, name: string, out: Spec[], total: { states: number }): void {
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const where = `${name}:${n + 1}`;
    const line = lines[n]!.replace(/\r$/, '');
    if (line.length > MAX_LINE) throw new JootError('EINVAL', `${where}: line longer than ${MAX_LINE} bytes`);
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(/[ \t]+/);
    if (f.length < 2 || f.length > 3) throw new JootError('EINVAL', `${where}: expected "REGEX [TYPE] CONTEXT", found ${f.length} fields`);
    let type = 0;
    if (f.length === 3) {
      const ty = TYPES[f[1]!];
      if (ty === undefined) throw new JootError('EINVAL', `${where}: invalid file type "${f[1]}"`);
      type = ty;
    }
    const context = f[f.length - 1]!;
    if (context !== NONE && !/^[^:]+:[^:]+:[^:]+(:.+)?$/.test(context))
      throw new JootError('EINVAL', `${where}: invalid context "${context}"`);
    if (out.length >= MAX_SPECS) throw new JootError('EINVAL', `${name}: more than ${MAX_SPECS} specifications`);
    const regex = FcRegex.compile(f[0]!, where);
    total.states += regex.size;
    if (total.states > MAX_TOTAL_STATES)
      throw new JootError('EINVAL', `${where}: the spec files' regular expressions are too large together`);
    out.push({ regex, type, context, where, exact: !hasMeta(f[0]!) });
  }
}

/** A subs file's `FROM TO` lines; later lines are tried first, as libselinux's list is built. */
export function parseSubs(text: string, name: string): Sub[] {
  const out: Sub[] = [];
  for (const [n, raw] of text.split('\n').entries()) {
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(/[ \t]+/);
    if (f.length !== 2) throw new JootError('EINVAL', `${name}:${n + 1}: expected "PATH EQUIVALENT-PATH"`);
    if (out.length >= MAX_SPECS) throw new JootError('EINVAL', `${name}: too many lines`);
    out.unshift({ from: f[0]!.replace(/\/+$/, ''), to: f[1]! });
  }
  return out;
}

function substitute(subs: readonly Sub[], path: string): string | undefined {
  for (const s of subs) {
    if (s.from === '' || !path.startsWith(s.from)) continue;
    const rest = path.slice(s.from.length);
    if (rest !== '' && !rest.startsWith('/')) continue;
    return s.to === '/' && rest !== '' ? rest : s.to + rest;
  }
  return undefined;
}

/** The loaded specs of one file_contexts (with its .homedirs, .local and subs files). */
export class FileContexts {
  private readonly specs: Spec[];
  /** spec indices by their regex's literal prefix: only specs whose prefix starts the path can match */
  private readonly byPrefix = new Map<string, number[]>();
  /** the distinct prefix lengths, ascending */
  private readonly prefixLengths: number[];
  private readonly subs: Sub[];
  private readonly distSubs: Sub[];
  /** matching work left (see STEPS_PER_LOOKUP) */
  private steps = INITIAL_STEPS;

  /** `files`: the spec files' contents in the order read (base, .homedirs, .local). */
  constructor(files: readonly { name: string; text: string }[], subs: Sub[] = [], distSubs: Sub[] = []) {
    const all: Spec[] = [];
    const total = { states: 0 };
    for (const f of files) parseSpecs(f.text, f.name, all, total);
    // exact paths after the regexes: searched from the end, they are looked at first
    this.specs = [...all.filter((s) => !s.exact), ...all.filter((s) => s.exact)];
    this.specs.forEach((s, i) => {
      const list = this.byPrefix.get(s.regex.prefix);
      if (list) list.push(i);
      else this.byPrefix.set(s.regex.prefix, [i]);
    });
    this.prefixLengths = [...new Set([...this.byPrefix.keys()].map((k) => k.length))].sort((a, b) => a - b);
    this.subs = subs;
    this.distSubs = distSubs;
  }

  get size(): number {
    return this.specs.length;
  }

  /** The path as the specs see it: duplicate and trailing slashes dropped, then substituted. */
  key(path: string): string {
    let p = path.replace(/\/{2,}/g, '/');
    if (p.length > 1) p = p.replace(/\/$/, '');
    const local = substitute(this.subs, p);
    if (local !== undefined) return substitute(this.distSubs, local) ?? local;
    return substitute(this.distSubs, p) ?? p;
  }

  /** The context for `path` (latin1 bytes) of a file with st_mode `mode`: NONE to skip, undefined when no spec matches. */
  lookup(path: string, mode: number): { context: string; where: string } | undefined {
    const key = this.key(path);
    const type = mode & S_IFMT;
    // the candidates: specs whose literal prefix the path starts with, latest first
    const candidates: number[] = [];
    for (const len of this.prefixLengths) {
      if (len > key.length) break;
      const list = this.byPrefix.get(key.slice(0, len));
      if (list) for (const i of list) candidates.push(i);
    }
    candidates.sort((a, b) => b - a);
    const budget: Budget = { steps: this.steps + STEPS_PER_LOOKUP, what: path };
    try {
      return this.match(key, type, candidates, budget);
    } finally {
      this.steps = budget.steps;
    }
  }

  private match(key: string, type: number, candidates: readonly number[], budget: Budget): { context: string; where: string } | undefined {
    for (const i of candidates) {
      const s = this.specs[i]!;
      if (s.type !== 0 && type !== 0 && s.type !== type) continue;
      if (s.regex.matches(key, budget)) return { context: s.context, where: s.where };
    }
    return undefined;
  }
}
