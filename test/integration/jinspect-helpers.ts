// Shared by the end-to-end tests of jinspect (jinspect.test.ts, jinspect-oracle.test.ts): run the
// real bin/jinspect (the built bundle) as a child process on real fixture images, validate its
// JSON against schema/jinspect.schema.json, read virt-inspector's XML, and keep every run's
// traces apart from other test files running in parallel.
//
// Isolation: each test file gets a private directory under .cache/ (on the fixtures'
// filesystem) holding hard links to the fixtures and, as JOOT_RUN_DIR of the jinspect runs, a
// private run directory. So every loop device, mount, helper process, session record and temp
// dir of our runs names a path that only this file uses, and leftovers.ts's scoped snapshot
// tells them apart from the other workers'.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FIXTURES_DIR, REPO_ROOT, fixture, type FixtureName } from '../fixtures/index.js';
import { mountEntries } from './leftovers.js';
import type { InspectionReport } from '../../src/inspect/types.js';

export const JINSPECT = path.join(REPO_ROOT, 'bin', 'jinspect');
export const BUNDLE = path.join(REPO_ROOT, 'dist', 'bundle', 'jinspect.mjs');
export const SCHEMA_FILE = path.join(REPO_ROOT, 'schema', 'jinspect.schema.json');

/** Root, loop devices, and a built jinspect. */
export const CAN_RUN_JINSPECT = process.getuid?.() === 0 && existsSync('/dev/loop-control') && existsSync(BUNDLE);
export const WHY_NOT =
  process.getuid?.() !== 0
    ? 'not root'
    : !existsSync('/dev/loop-control')
      ? 'no /dev/loop-control'
      : !existsSync(BUNDLE)
        ? `${BUNDLE} is not built (npm run build)`
        : '';

// ------------------------------------------------------------------------------------------
// A private work directory

export class Workdir {
  dir = '';
  /** JOOT_RUN_DIR of our jinspect runs */
  runDir = '';
  private readonly links = new Map<string, string>();

  constructor(private readonly name: string) {}

  setup(): void {
    const base = path.join(path.dirname(FIXTURES_DIR), 'jinspect-it');
    mkdirSync(base, { recursive: true });
    this.dir = mkdtempSync(path.join(base, `${this.name}-`));
    this.runDir = path.join(this.dir, 'run');
    mkdirSync(this.runDir, { mode: 0o700 });
  }

  /** The fixture under a path of our own: a hard link (same inode), else a sparse copy. */
  async image(name: FixtureName): Promise<string> {
    const known = this.links.get(name);
    if (known) return known;
    const src = await fixture(name);
    const dst = path.join(this.dir, name);
    try {
      linkSync(src, dst);
    } catch {
      await run('cp', ['--sparse=always', '--reflink=auto', src, dst]);
    }
    this.links.set(name, dst);
    return dst;
  }

  teardown(): void {
    if (!this.dir) return;
    // never recurse into something still mounted
    if (!mountEntries().some((m) => m.mountpoint.startsWith(`${this.dir}/`))) rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------
// Running things

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - t0,
      });
    });
  });
}

export interface JinspectResult extends RunResult {
  /** peak resident set size in KiB (GNU time's %M), when measured */
  peakRssKb?: number;
}

/**
 * Run bin/jinspect with `args`, its run directory `runDir` (private per test file), under
 * /usr/bin/time when `measure` (peak RSS, %M) — the time's report goes to a file, so stderr
 * stays jinspect's own.
 */
export async function jinspect(
  args: string[],
  opts: { runDir?: string; measure?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<JinspectResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', ...opts.env };
  if (opts.runDir) env.JOOT_RUN_DIR = opts.runDir;
  delete env.JOOT_TMPDIR;
  delete env.JOOT_BACKEND;
  if (!opts.measure) return run(JINSPECT, args, { env, timeoutMs: opts.timeoutMs ?? 110_000 });
  const rssFile = path.join(opts.runDir ?? '/tmp', `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    const r = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, JINSPECT, ...args], { env, timeoutMs: opts.timeoutMs ?? 110_000 });
    const text = existsSync(rssFile) ? readFileSync(rssFile, 'utf8') : '';
    const m = /(\d+)\s*$/.exec(text.trim());
    return { ...r, peakRssKb: m ? Number(m[1]) : undefined };
  } finally {
    rmSync(rssFile, { force: true });
  }
}

/** The report on stdout, after checking that the run succeeded and printed only JSON. */
export function reportOf(r: RunResult): InspectionReport {
  if (r.code !== 0) throw new Error(`jinspect exited ${String(r.code ?? r.signal)}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as InspectionReport;
}

// ------------------------------------------------------------------------------------------
// The JSON Schema

let validator: (((data: unknown) => boolean) & { errors?: unknown }) | undefined;

/** Schema errors of a jinspect report ([] when valid). */
export function schemaErrors(report: unknown): string[] {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  if (validator(report)) return [];
  return ((validator.errors ?? []) as { instancePath: string; message?: string }[]).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''}`,
  );
}

// ------------------------------------------------------------------------------------------
// Host names that must never reach the user

/** Host device names and host paths of the session machinery, as they would appear in output. */
export function hostLeaks(text: string, extra: string[] = []): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/\/dev\/(?:loop\d*|nbd\d*|dm-\d+|mapper\/[^\s"']*|fuse)(?:p\d+)?/g)) found.add(m[0]);
  for (const m of text.matchAll(/\/run\/joot[^\s"']*/g)) found.add(m[0]);
  for (const p of extra) if (p && text.includes(p)) found.add(p);
  return [...found];
}

// ------------------------------------------------------------------------------------------
// A tiny XML reader: enough for virt-inspector's and jinspect's output (elements, attributes,
// text, the five predefined entities and character references, comments, the prolog). Throws
// on anything that is not well-formed: mismatched or unclosed tags, a stray '<' or '&', an
// unknown entity, duplicate attributes, text or a second element after the root.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** the element's own text content (character data directly inside it, concatenated) */
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

function decodeEntities(s: string, at: number): string {
  return s.replace(/&([^;&<]*);|&/g, (all, ent: string | undefined) => {
    if (ent === undefined) throw new Error(`XML: stray '&' near offset ${at}`);
    switch (ent) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ent);
    if (!m) throw new Error(`XML: unknown entity ${all} near offset ${at}`);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    if (cp === 0 || cp > 0x10ffff) throw new Error(`XML: bad character reference ${all}`);
    return String.fromCodePoint(cp);
  });
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML: ${why} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const skipWs = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const skipMisc = () => {
    for (;;) {
      skipWs();
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i + 2);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (src[i] !== '<') fail("expected '<'");
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      const a = name();
      skipWs();
      if (src[i] !== '=') fail("expected '='");
      i++;
      skipWs();
      const q = src[i];
      if (q !== '"' && q !== "'") fail('expected a quoted attribute value');
      const end = src.indexOf(q!, i + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = src.slice(i + 1, end);
      if (raw.includes('<')) fail("'<' in an attribute value");
      if (a in el.attrs) fail(`duplicate attribute ${a}`);
      el.attrs[a] = decodeEntities(raw, i);
      i = end + 1;
    }
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${el.name}>`);
      el.text += decodeEntities(src.slice(i, lt), i);
      i = lt;
      if (src.startsWith('</', i)) {
        i += 2;
        const n = name();
        if (n !== el.name) fail(`</${n}> closes <${el.name}>`);
        skipWs();
        if (src[i] !== '>') fail("expected '>'");
        i++;
        return el;
      }
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (src.startsWith('<![CDATA[', i)) {
        const end = src.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA');
        el.text += src.slice(i + 9, end);
        i = end + 3;
      } else el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== src.length) fail('content after the root element');
  return root;
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** virt-inspector's <operatingsystems> as jinspect-shaped objects (absent elements stay absent;
 *  an absent epoch is 0 and an absent release "", as virt-inspector means them). Mountpoints
 *  come as an ordered list of [mountpoint, device], so their order can be compared. */
export interface XmlOs {
  fields: Record<string, string>;
  mountpoints: [string, string][];
  filesystems: { device: string; type?: string; label?: string; uuid?: string }[];
  applications?: Record<string, string | number>[];
  /** <icon>'s base64 without its line breaks (virt-inspector wraps it) */
  icon?: string;
}

export const XML_OS_FIELDS = [
  'root',
  'name',
  'arch',
  'distro',
  'product_name',
  'product_variant',
  'major_version',
  'minor_version',
  'build_id',
  'package_format',
  'package_management',
  'hostname',
  'osinfo',
] as const;

export function operatingSystemsOfXml(xml: string): XmlOs[] {
  const root = parseXml(xml);
  if (root.name !== 'operatingsystems') throw new Error(`XML root is <${root.name}>`);
  return root.children
    .filter((c) => c.name === 'operatingsystem')
    .map((os) => {
      const fields: Record<string, string> = {};
      for (const c of os.children) if ((XML_OS_FIELDS as readonly string[]).includes(c.name)) fields[c.name] = c.text;
      const mps = child(os, 'mountpoints');
      const fss = child(os, 'filesystems');
      const apps = child(os, 'applications');
      const icon = child(os, 'icon')?.text.replace(/\s+/g, '');
      return {
        ...(icon !== undefined ? { icon } : {}),
        fields,
        mountpoints: (mps?.children ?? []).map((m) => [m.text, m.attrs['dev'] ?? ''] as [string, string]),
        filesystems: (fss?.children ?? []).map((f) => {
          const e: XmlOs['filesystems'][number] = { device: f.attrs['dev'] ?? '' };
          for (const k of ['type', 'label', 'uuid'] as const) {
            const v = child(f, k)?.text;
            if (v !== undefined) e[k] = v;
          }
          return e;
        }),
        applications: apps?.children.map((a) => {
          const o: Record<string, string | number> = { epoch: 0, release: '' };
          for (const c of a.children) o[c.name] = c.name === 'epoch' ? Number(c.text) : c.text;
          return o;
        }),
      };
    });
}
