// A parser of LVM's configuration syntax (libdevmapper's config tree), the language of the VG
// text in a metadata area: `name { … }` sections, `key = value` settings whose value is an
// integer, a float, a "string" (backslash escapes) or a flat [array, of, those]; `#` comments.
// Guest text is hostile: nesting depth and the number of nodes are capped, integers beyond
// 2^53 are kept as "too large" (refused where they are used), and every error is one line.
import { JootError } from '../../../core/errors.js';

export type ConfigScalar = { t: 'int'; v: number } | { t: 'bigint'; text: string } | { t: 'float'; v: number } | { t: 'str'; v: string };
export type ConfigValue = ConfigScalar | { t: 'arr'; v: ConfigScalar[] };

export interface ConfigSection {
  name: string;
  /** settings in file order; a key given twice keeps its first value (as libdm's lookups do) */
  values: Map<string, ConfigValue>;
  /** subsections in file order */
  sections: ConfigSection[];
}

/** LVM's VG text is nested four deep (vg / logical_volumes / lv / segment); leave room. */
export const MAX_DEPTH = 16;
/** sections and settings together: a good VG text has ~20 per LV segment */
export const MAX_NODES = 1_000_000;

/** Parse `text`; `what` names the source in errors ("/dev/sda2: LVM metadata"). */
export function parseConfig(text: string, what: string): ConfigSection {
  return new Parser(text, what).parseTop();
}

const isIdent = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x5f ||
  c === 0x2d ||
  c === 0x2b ||
  c === 0x2e ||
  c === 0x2f ||
  c === 0x2a ||
  c === 0x40 ||
  c === 0x3a ||
  c === 0x21 ||
  c === 0x24 ||
  c === 0x25 ||
  c === 0x26 ||
  c === 0x7e;

class Parser {
  private pos = 0;
  private line = 1;
  private nodes = 0;

  constructor(
    private readonly s: string,
    private readonly what: string,
  ) {}

  private fail(msg: string): JootError {
    return new JootError('EFORMAT', `${this.what}: ${msg} at line ${this.line}`);
  }

  private skip(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x0a) {
        this.line++;
        this.pos++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c) {
        this.pos++;
      } else if (c === 0x23) {
        const nl = s.indexOf('\n', this.pos);
        this.pos = nl < 0 ? s.length : nl;
      } else break;
    }
  }

  private count(): void {
    if (++this.nodes > MAX_NODES) throw this.fail(`more than ${MAX_NODES} settings`);
  }

  private ident(): string {
    const start = this.pos;
    while (this.pos < this.s.length && isIdent(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private name(): string {
    this.skip();
    if (this.s[this.pos] === '"') return this.string();
    const id = this.ident();
    if (!id) throw this.fail(`expected a name, found ${describe(this.s[this.pos])}`);
    return id;
  }

  private string(): string {
    // at the opening quote; LVM escapes only '"' and '\' (a backslash keeps the next character)
    const s = this.s;
    let out = '';
    let i = this.pos + 1;
    let chunk = i;
    for (;;) {
      if (i >= s.length) throw this.fail('unterminated string');
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        out += s.slice(chunk, i);
        if (i + 1 >= s.length) throw this.fail('unterminated string');
        out += s[i + 1];
        i += 2;
        chunk = i;
        continue;
      }
      if (c === 0x0a) this.line++;
      i++;
    }
    out += s.slice(chunk, i);
    this.pos = i + 1;
    return out;
  }

  private scalar(): ConfigScalar {
    this.skip();
    const c = this.s[this.pos];
    if (c === '"') return { t: 'str', v: this.string() };
    const m = /^[-+]?(0[xX][0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) throw this.fail(`expected a value, found ${describe(c)}`);
    const text = m[0];
    this.pos += text.length;
    if (/[.eE]/.test(text) && !/^[-+]?0[xX]/.test(text)) {
      const v = Number(text);
      if (!Number.isFinite(v)) throw this.fail(`bad number ${text}`);
      return { t: 'float', v };
    }
    const neg = text.startsWith('-');
    const body = text.replace(/^[-+]/, '');
    const big = BigInt(body);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { t: 'bigint', text };
    const v = Number(big);
    return { t: 'int', v: neg ? -v : v };
  }

  private value(): ConfigValue {
    this.skip();
    if (this.s[this.pos] !== '[') return this.scalar();
    this.pos++;
    const items: ConfigScalar[] = [];
    this.skip();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return { t: 'arr', v: items };
    }
    for (;;) {
      this.count();
      items.push(this.scalar());
      this.skip();
      const c = this.s[this.pos];
      this.pos++;
      if (c === ']') return { t: 'arr', v: items };
      if (c !== ',') throw this.fail(`expected ',' or ']' in an array, found ${describe(c)}`);
    }
  }

  parseTop(): ConfigSection {
    const top: ConfigSection = { name: '', values: new Map(), sections: [] };
    // an explicit stack instead of recursion: a hostile text cannot exhaust the JS stack
    const stack: ConfigSection[] = [top];
    for (;;) {
      this.skip();
      if (this.pos >= this.s.length) {
        if (stack.length > 1) throw this.fail(`section ${stack[stack.length - 1]!.name} is not closed`);
        return top;
      }
      const cur = stack[stack.length - 1]!;
      if (this.s[this.pos] === '}') {
        if (stack.length === 1) throw this.fail("unexpected '}'");
        stack.pop();
        this.pos++;
        continue;
      }
      if (this.s.charCodeAt(this.pos) === 0) return top; // the text ends at its NUL
      const name = this.name();
      this.skip();
      const c = this.s[this.pos];
      this.count();
      if (c === '{') {
        this.pos++;
        if (stack.length > MAX_DEPTH) throw this.fail(`sections nested more than ${MAX_DEPTH} deep`);
        const sec: ConfigSection = { name, values: new Map(), sections: [] };
        cur.sections.push(sec);
        stack.push(sec);
      } else if (c === '=') {
        this.pos++;
        const v = this.value();
        if (!cur.values.has(name)) cur.values.set(name, v);
      } else {
        throw this.fail(`expected '=' or '{' after ${JSON.stringify(name.slice(0, 40))}, found ${describe(c)}`);
      }
    }
  }
}

function describe(c: string | undefined): string {
  if (c === undefined) return 'the end of the text';
  return JSON.stringify(c);
}
