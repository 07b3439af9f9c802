// The regular expressions of SELinux file_contexts specs, matched in bounded time. A guest's
// file_contexts is hostile data: a JavaScript RegExp backtracks, so a spec like `(a*)*b` could
// hang the relabel. Each spec is parsed here (the extended syntax libselinux accepts: literals,
// `\` escapes, `.`, bracket expressions with ranges and [:class:]es, groups, `|`, `* + ?` and
// `{m,n}`, `^`/`$`) into a Thompson NFA, and matched by simulating every state at once: time
// linear in the path's length times the NFA's size, whatever the pattern. Matching is on bytes
// (a path is a latin1 string, one char per byte), as libselinux's PCRE2 without UTF does.
// A whole spec matches the whole path (libselinux anchors it as ^(…)$).

import { JootError } from '../../core/errors.js';

/** Longest spec accepted (real ones are well under 200 bytes). */
export const MAX_REGEX_BYTES = 1024;
/** NFA states per spec, after {m,n} expansion. */
const MAX_STATES = 8192;
/** The largest count in {m,n}. */
const MAX_REPEAT = 255;

type Node =
  | { k: 'set'; set: Uint8Array }
  | { k: 'cat'; parts: Node[] }
  | { k: 'alt'; parts: Node[] }
  | { k: 'rep'; node: Node; min: number; max: number } // max -1: unbounded
  | { k: 'bol' }
  | { k: 'eol' };

const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => CLASSES.alpha!(c) || CLASSES.digit!(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  print: (c) => c >= 32 && c <= 126,
  graph: (c) => c >= 33 && c <= 126,
  cntrl: (c) => c < 32 || c === 127,
  xdigit: (c) => CLASSES.digit!(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  word: (c) => CLASSES.alnum!(c) || c === 95,
};

function setOf(pred: (c: number) => boolean): Uint8Array {
  const s = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (pred(c)) s[c] = 1;
  return s;
}

const ANY = setOf(() => true);

const ESCAPE_SETS: Record<string, () => Uint8Array> = {
  d: () => setOf(CLASSES.digit!),
  D: () => setOf((c) => !CLASSES.digit!(c)),
  w: () => setOf(CLASSES.word!),
  W: () => setOf((c) => !CLASSES.word!(c)),
  s: () => setOf(CLASSES.space!),
  S: () => setOf((c) => !CLASSES.space!(c)),
};

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly where: string,
  ) {}

  private fail(why: string): never {
    throw new JootError('EINVAL', `${this.where}: unsupported regular expression: ${why}`);
  }

  parse(): Node {
    const n = this.alt(0);
    if (this.i < this.src.length) this.fail(`unmatched ")" at offset ${this.i}`);
    return n;
  }

  private alt(depth: number): Node {
    if (depth > 64) this.fail('groups nested too deep');
    const parts = [this.cat(depth)];
    while (this.src[this.i] === '|') {
      this.i++;
      parts.push(this.cat(depth));
    }
    return parts.length === 1 ? parts[0]! : { k: 'alt', parts };
  }

  private cat(depth: number): Node {
    const parts: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      let atom = this.atom(depth);
      for (;;) {
        const q = this.quant();
        if (!q) break;
        if (atom.k === 'bol' || atom.k === 'eol') this.fail('a quantifier after an anchor');
        atom = { k: 'rep', node: atom, min: q[0], max: q[1] };
      }
      parts.push(atom);
    }
    return parts.length === 1 ? parts[0]! : { k: 'cat', parts };
  }

  private quant(): [number, number] | undefined {
    const c = this.src[this.i];
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      if (this.src[this.i] === '?' || this.src[this.i] === '+') this.i++; // lazy / possessive: same language
      return c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
    }
    if (c !== '{') return undefined;
    const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(this.src.slice(this.i));
    if (!m) return undefined; // a literal "{", as PCRE reads one that starts no count
    this.i += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT) this.fail(`a count above ${MAX_REPEAT}`);
    if (max !== -1 && max < min) this.fail('a count range out of order');
    return [min, max];
  }

  private atom(depth: number): Node {
    const c = this.src[this.i++]!;
    switch (c) {
      case '(': {
        if (this.src[this.i] === '?') {
          if (this.src[this.i + 1] !== ':') this.fail('a (? group other than (?:');
          this.i += 2;
        }
        const n = this.alt(depth + 1);
        if (this.src[this.i] !== ')') this.fail('an unclosed group');
        this.i++;
        return n;
      }
      case '.':
        return { k: 'set', set: ANY };
      case '^':
        return { k: 'bol' };
      case '$':
        return { k: 'eol' };
      case '[':
        return { k: 'set', set: this.bracket() };
      case '\\':
        return { k: 'set', set: this.escape() };
      case '*':
      case '+':
      case '?':
        return this.fail(`"${c}" with nothing to repeat`);
      default:
        return { k: 'set', set: single(c.charCodeAt(0)) };
    }
  }

  private escape(): Uint8Array {
    if (this.i >= this.src.length) this.fail('a trailing backslash');
    const e = this.src[this.i++]!;
    const named = ESCAPE_SETS[e];
    if (named) return named();
    if (/[A-Za-z0-9]/.test(e)) this.fail(`the escape \\${e}`);
    return single(e.charCodeAt(0));
  }

  private bracket(): Uint8Array {
    const set = new Uint8Array(256);
    let negate = false;
    if (this.src[this.i] === '^') {
      negate = true;
      this.i++;
    }
    let first = true;
    for (;;) {
      if (this.i >= this.src.length) this.fail('an unclosed "["');
      const c = this.src[this.i]!;
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      if (c === '[' && this.src[this.i + 1] === ':') {
        const end = this.src.indexOf(':]', this.i + 2);
        const name = end === -1 ? '' : this.src.slice(this.i + 2, end);
        const pred = CLASSES[name];
        if (!pred) this.fail(`the class [:${name}:]`);
        for (let x = 0; x < 256; x++) if (pred(x)) set[x] = 1;
        this.i = end + 2;
        continue;
      }
      const lo = this.bracketChar();
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        const hi = this.bracketChar();
        if (hi < lo) this.fail('a range out of order');
        for (let x = lo; x <= hi; x++) set[x] = 1;
      } else set[lo] = 1;
    }
    if (negate) for (let x = 0; x < 256; x++) set[x] = set[x] ? 0 : 1;
    return set;
  }

  /** One character of a bracket expression; PCRE reads `\x` there as x (for punctuation). */
  private bracketChar(): number {
    const c = this.src[this.i++]!;
    if (c !== '\\') return c.charCodeAt(0);
    if (this.i >= this.src.length) this.fail('a trailing backslash');
    const e = this.src[this.i++]!;
    if (/[A-Za-z0-9]/.test(e)) this.fail(`the escape \\${e} in brackets`);
    return e.charCodeAt(0);
  }
}

// one shared read-only set per byte: a spec file's literals would otherwise allocate 256 bytes each
const singles: (Uint8Array | undefined)[] = [];
function single(c: number): Uint8Array {
  let s = singles[c];
  if (!s) {
    s = new Uint8Array(256);
    s[c] = 1;
    singles[c] = s;
  }
  return s;
}

// NFA: state i is one of: a byte set (then `next`), a split (both `next` and `alt`), an
// assertion (BOL/EOL, then `next`), or the match state.
const SET = 0;
const SPLIT = 1;
const BOL = 2;
const EOL = 3;
const MATCH = 4;

interface Nfa {
  kind: number[];
  next: number[];
  alt: number[];
  sets: (Uint8Array | undefined)[];
  start: number;
}

class Builder {
  readonly nfa: Nfa = { kind: [], next: [], alt: [], sets: [], start: 0 };
  constructor(private readonly where: string) {}

  private add(kind: number, set?: Uint8Array): number {
    if (this.nfa.kind.length >= MAX_STATES) throw new JootError('EINVAL', `${this.where}: regular expression too large`);
    this.nfa.kind.push(kind);
    this.nfa.next.push(-1);
    this.nfa.alt.push(-1);
    this.nfa.sets.push(set);
    return this.nfa.kind.length - 1;
  }

  /** Compile `n` to continue at `out`; returns its entry state. */
  build(n: Node, out: number): number {
    switch (n.k) {
      case 'set': {
        const s = this.add(SET, n.set);
        this.nfa.next[s] = out;
        return s;
      }
      case 'bol':
      case 'eol': {
        const s = this.add(n.k === 'bol' ? BOL : EOL);
        this.nfa.next[s] = out;
        return s;
      }
      case 'cat': {
        let cur = out;
        for (let i = n.parts.length - 1; i >= 0; i--) cur = this.build(n.parts[i]!, cur);
        return cur;
      }
      case 'alt': {
        let cur = this.build(n.parts[n.parts.length - 1]!, out);
        for (let i = n.parts.length - 2; i >= 0; i--) {
          const s = this.add(SPLIT);
          this.nfa.next[s] = this.build(n.parts[i]!, out);
          this.nfa.alt[s] = cur;
          cur = s;
        }
        return cur;
      }
      case 'rep': {
        // optional copies after the required ones, or a loop when unbounded
        let cur = out;
        if (n.max === -1) {
          const loop = this.add(SPLIT);
          this.nfa.next[loop] = this.build(n.node, loop);
          this.nfa.alt[loop] = out;
          cur = loop;
        } else {
          for (let i = n.min; i < n.max; i++) {
            const s = this.add(SPLIT);
            this.nfa.next[s] = this.build(n.node, cur);
            this.nfa.alt[s] = out;
            cur = s;
          }
        }
        for (let i = 0; i < n.min; i++) cur = this.build(n.node, cur);
        return cur;
      }
    }
  }
}

/** Work left for matching, shared by a caller's calls. */
export interface Budget {
  steps: number;
  /** what to name when it runs out */
  what: string;
}

/** One compiled spec regex. */
export class FcRegex {
  /** the bytes every match starts with (a quick filter before the NFA runs) */
  readonly prefix: string;
  private readonly nfa: Nfa;
  // scratch for the simulation (one regex is matched by one caller at a time)
  private readonly mark: Int32Array;
  private gen = 0;

  private constructor(nfa: Nfa, prefix: string) {
    this.nfa = nfa;
    this.prefix = prefix;
    this.mark = new Int32Array(nfa.kind.length);
  }

  /** `source` as latin1 text (one char per byte); `where` names it in errors (file:line). */
  static compile(source: string, where: string): FcRegex {
    if (source.length > MAX_REGEX_BYTES) throw new JootError('EINVAL', `${where}: regular expression longer than ${MAX_REGEX_BYTES} bytes`);
    const ast = new Parser(source, where).parse();
    const b = new Builder(where);
    const match = b.nfa.kind.length;
    b.nfa.kind.push(MATCH);
    b.nfa.next.push(-1);
    b.nfa.alt.push(-1);
    b.nfa.sets.push(undefined);
    b.nfa.start = b.build(ast, match);
    return new FcRegex(b.nfa, literalPrefix(ast));
  }

  /** NFA states: what matching costs per byte at most, and what the regex holds in memory. */
  get size(): number {
    return this.nfa.kind.length;
  }

  /**
   * Whether the whole of `s` (latin1, one char per byte) matches. `budget.steps` is shared by
   * the caller's lookups: each state visited costs one, and none left is an error naming
   * `budget.what` (a spec file whose lookups cost that much is hostile, not slow).
   */
  matches(s: string, budget: Budget = { steps: Number.POSITIVE_INFINITY, what: '' }): boolean {
    if (!s.startsWith(this.prefix)) return false;
    const { kind, next, alt, sets } = this.nfa;
    let cur: number[] = [];
    let nxt: number[] = [];
    const len = s.length;
    const add = (list: number[], st: number, pos: number): void => {
      // iterative closure: splits and assertions expanded here, sets and match kept
      const stack = [st];
      while (stack.length) {
        const x = stack.pop()!;
        if (this.mark[x] === this.gen) continue;
        this.mark[x] = this.gen;
        if (--budget.steps < 0)
          throw new JootError('EINVAL', `${budget.what}: matching the spec file's regular expressions costs too much`);
        const k = kind[x]!;
        if (k === SPLIT) {
          stack.push(alt[x]!, next[x]!);
        } else if (k === BOL) {
          if (pos === 0) stack.push(next[x]!);
        } else if (k === EOL) {
          if (pos === len) stack.push(next[x]!);
        } else list.push(x);
      }
    };
    this.gen++;
    add(cur, this.nfa.start, 0);
    for (let pos = 0; pos < len; pos++) {
      if (cur.length === 0) return false;
      const c = s.charCodeAt(pos) & 0xff;
      this.gen++;
      nxt.length = 0;
      for (const x of cur) if (kind[x] === SET && sets[x]![c]) add(nxt, next[x]!, pos + 1);
      [cur, nxt] = [nxt, cur];
    }
    for (const x of cur) if (kind[x] === MATCH) return true;
    return false;
  }
}

/** The single bytes a match must start with: leading one-byte sets of the top concatenation. */
function literalPrefix(n: Node): string {
  const parts = n.k === 'cat' ? n.parts : [n];
  let out = '';
  for (const p of parts) {
    if (p.k === 'bol') continue;
    if (p.k !== 'set') break;
    let only = -1;
    for (let c = 0; c < 256; c++) {
      if (!p.set[c]) continue;
      if (only !== -1) return out;
      only = c;
    }
    if (only === -1) return out;
    out += String.fromCharCode(only);
  }
  return out;
}
