// The joot configuration file, shared by every tool.
//
// Where: $JOOT_CONFIG if set (the file must exist), else ~/.joot, else /etc/joot.cfg — the
// first that exists. No file at all means the built-in defaults.
//
// Format: INI, read with the `ini` package. Settings go at the top of the file or under a
// [joot] section (both work; a setting may be given only once). Any other section, an unknown
// setting, a setting given twice or a bad value is an error naming the file and line:
//
//     ; /etc/joot.cfg
//     joot_home = /var/lib/joot          ; absolute path (default /var/lib/joot)
//     default_image = /srv/vm/web.qcow2  ; the image tools open when none is named
//     image_path = /srv/vm/*.{qcow2,raw}, /home/*/vm/**/*.img   ; fast-glob patterns, absolute
//     image_path[] = /mnt/more/*.vmdk    ; ... or one per line with []
//     pass_thru_env = HTTP_PROXY, LANG   ; environment variable names
//     read_only = yes                    ; true/false, yes/no, 1/0: jfish's default for --ro/--rw
//     linger = 10                        ; seconds a joot stays attached and mounted after its
//                                        ; last enter exits, so the next enter starts at once
//                                        ; (0: released at once; at most 3600)
//     backing_dirs = /var/lib/nova/instances/_base   ; absolute directories whose files an
//                                        ; image may name as backing file, data file or extent
//                                        ; (besides its own directory; see named-path.ts)
//     engine = userspace                 ; userspace or kernel: how jfish and jinspect read
//                                        ; disks (default: $JOOT_ENGINE, else kernel for root,
//                                        ; userspace for everyone else)
//     kernel_mounts = never              ; userspace engine: a filesystem no reader reads is
//                                        ; mounted read-only through the kernel as root (auto,
//                                        ; the default) or refused (never)
//
// List settings (image_path, pass_thru_env, backing_dirs) split on commas; in image_path a comma inside
// {braces} is part of the pattern, and \, is a literal comma.
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ini from 'ini';
import { JootError } from '../core/errors.js';

export const SETTINGS = [
  'joot_home',
  'default_image',
  'image_path',
  'pass_thru_env',
  'read_only',
  'linger',
  'backing_dirs',
  'engine',
  'kernel_mounts',
] as const;
export type SettingName = (typeof SETTINGS)[number];

export interface JootConfig {
  joot_home: string;
  default_image?: string;
  image_path: string[];
  pass_thru_env: string[];
  read_only: boolean;
  /** seconds an entered joot stays ready after its last enter exits (joot enter) */
  linger: number;
  /** directories whose files images may name (backing files, data files, extents) */
  backing_dirs: string[];
  /** the engine jfish and jinspect use when neither --engine nor $JOOT_ENGINE says */
  engine?: 'kernel' | 'userspace';
  /** userspace engine: a filesystem no reader reads is mounted through the kernel (auto, as root) or refused (never) */
  kernel_mounts?: 'auto' | 'never';
  /** The file the settings came from; undefined when none exists (all defaults). */
  source?: string;
  /** For each setting the file gives: where, as FILE:LINE (FILE:LINE,LINE for a list on several lines). */
  origin?: Partial<Record<SettingName, string>>;
}

export const SYSTEM_CONFIG = '/etc/joot.cfg';
export const USER_CONFIG = '.joot'; // in the home directory
export const DEFAULT_JOOT_HOME = '/var/lib/joot';
export const DEFAULT_LINGER = 10;
export const MAX_LINGER = 3600;

export function defaultConfig(): JootConfig {
  return { joot_home: DEFAULT_JOOT_HOME, image_path: [], pass_thru_env: [], read_only: false, linger: DEFAULT_LINGER, backing_dirs: [] };
}

const listSettings: ReadonlySet<string> = new Set<SettingName>(['image_path', 'pass_thru_env', 'backing_dirs']);
const isSetting = (k: string): k is SettingName => (SETTINGS as readonly string[]).includes(k);

/**
 * The configuration file to read, or undefined for none. $JOOT_CONFIG must name an existing
 * file; the others are used when they exist. A directory in any place is an error.
 */
export function findConfigFile(
  env: NodeJS.ProcessEnv = process.env,
  // $HOME is what os.homedir() returns where it is set, without loading node:os
  home: string = env.HOME || os.homedir(),
  systemFile: string = SYSTEM_CONFIG,
): string | undefined {
  const named = env.JOOT_CONFIG;
  if (named) {
    const file = path.resolve(named);
    const st = statOf(file);
    if (!st) throw new JootError('ENOENT', `${file}: no such configuration file (named by JOOT_CONFIG)`);
    if (st.isDirectory()) throw new JootError('EINVAL', `${file}: is a directory, not a configuration file (named by JOOT_CONFIG)`);
    return file;
  }
  const candidates = [...(home ? [path.join(home, USER_CONFIG)] : []), systemFile];
  for (const file of candidates) {
    const st = statOf(file);
    if (!st) continue;
    if (st.isDirectory()) throw new JootError('EINVAL', `${file}: is a directory, not a configuration file`);
    return file;
  }
  return undefined;
}

function statOf(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch (e) {
    throw new JootError('EIO', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
}

/** Find, read and check the configuration; the defaults when there is no file. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  // $HOME is what os.homedir() returns where it is set, without loading node:os
  home: string = env.HOME || os.homedir(),
  systemFile: string = SYSTEM_CONFIG,
): JootConfig {
  const file = findConfigFile(env, home, systemFile);
  if (file === undefined) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new JootError('EIO', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  return parseConfig(text, file);
}

// ini's own line grammar (ini/lib/ini.js decode), so that our line numbers match its values.
const lineRe = /^\[([^\]]*)\]\s*$|^([^=]+)(=(.*))?$/i;

type IniValue = string | boolean | null | IniValue[] | { [k: string]: IniValue };

/** Check the text of a configuration file; `file` is only for messages and `source`. */
export function parseConfig(text: string, file: string): JootConfig {
  text = text.replace(/^\uFEFF/, '');
  const parsed = ini.parse(text) as Record<string, IniValue>;
  const cfg = defaultConfig();
  cfg.source = file;
  const origin: Partial<Record<SettingName, number[]>> = {};
  const plainSeen = new Map<SettingName, number>(); // setting → line where given without []
  const used = new Map<string, number>(); // section/key → values consumed so far
  const lists: Partial<Record<SettingName, string[]>> = {};
  let section: string | null = null;

  // First the shape of the file (sections, names, repeats), so that every line left maps to
  // exactly one value that ini read; then the values, in line order.
  const entries: { n: number; section: string | null; name: SettingName }[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const n = i + 1;
    const fail = (what: string, why: string): never => {
      throw new JootError('EINVAL', `${file}:${n}: ${what}: ${why}`);
    };
    if (/^\s*$/.test(line) || /^\s*[;#]/.test(line)) continue;
    const m = lineRe.exec(line);
    if (!m) fail(line.trim(), 'not a setting (expected NAME = VALUE)');
    if (m![1] !== undefined) {
      section = ini.unsafe(m![1]);
      if (section !== 'joot') fail(`[${section}]`, 'unknown section: put settings at the top of the file or under [joot]');
      continue;
    }
    const keyRaw = ini.unsafe(m![2] ?? '');
    const isArray = keyRaw.length > 2 && keyRaw.endsWith('[]');
    const key = isArray ? keyRaw.slice(0, -2) : keyRaw;
    if (!isSetting(key)) {
      const hint = suggest(key);
      fail(keyRaw, `unknown setting${hint ? `; did you mean ${hint}?` : ` (known: ${SETTINGS.join(', ')})`}`);
    }
    const name = key as SettingName;
    if (m![3] === undefined) fail(keyRaw, `no value (write ${name} = VALUE)`);
    const isList = listSettings.has(name);
    if (isArray && !isList) fail(keyRaw, `takes a single value: write ${name} = VALUE, without []`);
    if (!isArray) {
      const first = plainSeen.get(name);
      if (first !== undefined) {
        fail(
          name,
          `set more than once (first at line ${first})${isList ? `; separate values with commas, or write ${name}[] = VALUE on each line` : ''}`,
        );
      }
      plainSeen.set(name, n);
    }
    (origin[name] ??= []).push(n);
    entries.push({ n, section, name });
  }

  for (const { n, section, name } of entries) {
    const fail = (what: string, why: string): never => {
      throw new JootError('EINVAL', `${file}:${n}: ${what}: ${why}`);
    };
    // The value ini read for this line: the k-th value of this setting in this section.
    const holder: IniValue | undefined = section === null ? parsed : parsed[section];
    const v = holder && typeof holder === 'object' && !Array.isArray(holder) ? holder[name] : undefined;
    const slot = `${section ?? ''}/${name}`;
    const k = used.get(slot) ?? 0;
    used.set(slot, k + 1);
    const one = Array.isArray(v) ? v[k] : v;
    const raw = one === null ? 'null' : typeof one === 'string' || typeof one === 'boolean' ? String(one) : undefined;
    if (raw === undefined) throw new Error(`config: internal: no value from ini for ${file}:${n}`);

    const value = raw.trim();
    if (value === '') fail(name, 'empty value (delete the line to use the default)');
    switch (name) {
      case 'joot_home':
        if (!path.isAbsolute(value)) fail(name, `'${value}' is not an absolute path${value.startsWith('~') ? ' (~ is not expanded)' : ''}`);
        cfg.joot_home = stripSlash(path.normalize(value));
        break;
      case 'default_image':
        cfg.default_image = value;
        break;
      case 'read_only': {
        const b = parseBool(value);
        if (b === undefined) fail(name, `'${value}' is not a boolean (true/false, yes/no, 1/0)`);
        cfg.read_only = b!;
        break;
      }
      case 'engine':
        if (value !== 'kernel' && value !== 'userspace') fail(name, `'${value}' is not an engine (userspace or kernel)`);
        cfg.engine = value as 'kernel' | 'userspace';
        break;
      case 'kernel_mounts':
        if (value !== 'auto' && value !== 'never') fail(name, `'${value}' is not auto or never`);
        cfg.kernel_mounts = value as 'auto' | 'never';
        break;
      case 'linger': {
        if (!/^\d+$/.test(value) || Number(value) > MAX_LINGER) fail(name, `'${value}' is not a number of seconds from 0 to ${MAX_LINGER}`);
        cfg.linger = Number(value);
        break;
      }
      case 'image_path': {
        const items = splitPatterns(value);
        if (typeof items === 'string') fail(name, items);
        for (const p of items as string[]) {
          if (p === '') fail(name, `empty pattern in '${value}'`);
          if (!path.isAbsolute(p)) fail(name, `'${p}' is not an absolute pattern${p.startsWith('~') ? ' (~ is not expanded)' : ''}`);
        }
        (lists.image_path ??= []).push(...(items as string[]));
        break;
      }
      case 'pass_thru_env': {
        const items = value.split(',').map((s) => s.trim());
        for (const v of items) {
          if (v === '') fail(name, `empty name in '${value}'`);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) fail(name, `'${v}' is not an environment variable name`);
        }
        (lists.pass_thru_env ??= []).push(...items);
        break;
      }
      case 'backing_dirs': {
        const items = value.split(',').map((s) => s.trim());
        for (const d of items) {
          if (d === '') fail(name, `empty directory in '${value}'`);
          if (!path.isAbsolute(d)) fail(name, `'${d}' is not an absolute path${d.startsWith('~') ? ' (~ is not expanded)' : ''}`);
        }
        (lists.backing_dirs ??= []).push(...items.map((d) => stripSlash(path.normalize(d))));
        break;
      }
    }
  }
  if (lists.image_path) cfg.image_path = [...new Set(lists.image_path)];
  if (lists.pass_thru_env) cfg.pass_thru_env = [...new Set(lists.pass_thru_env)];
  if (lists.backing_dirs) cfg.backing_dirs = [...new Set(lists.backing_dirs)];
  cfg.origin = {};
  for (const s of SETTINGS) {
    const at = origin[s];
    if (at) cfg.origin[s] = `${file}:${at.join(',')}`;
  }
  return cfg;
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

const truthy = new Set(['true', 'yes', '1']);
const falsy = new Set(['false', 'no', '0']);

export function parseBool(s: string): boolean | undefined {
  const l = s.toLowerCase();
  return truthy.has(l) ? true : falsy.has(l) ? false : undefined;
}

/**
 * Split a comma-separated list of glob patterns: a comma inside {braces} belongs to the
 * pattern, and a backslash keeps the next character (\, is a literal comma). Returns an
 * error message for unbalanced braces.
 */
export function splitPatterns(s: string): string[] | string {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === '{') {
      depth++;
      cur += c;
    } else if (c === '}') {
      if (depth === 0) return `unbalanced '}' in '${s}'`;
      depth--;
      cur += c;
    } else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (depth !== 0) return `unbalanced '{' in '${s}'`;
  out.push(cur.trim());
  return out;
}

/** The known setting closest to a misspelt one, if any is close. */
function suggest(key: string): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-. ]/g, '_');
  let best: { name: string; d: number } | undefined;
  for (const s of SETTINGS) {
    const d = norm(key) === s ? 0 : distance(norm(key), s);
    if (!best || d < best.d) best = { name: s, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.name.length / 4)) ? best.name : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Every effective setting, as INI that joot reads back, each with where it came from
 * (FILE:LINE or "default"): what `joot config` prints.
 */
export function formatConfig(c: JootConfig): string {
  const rows: [string, string][] = [];
  const from = (s: SettingName) => c.origin?.[s] ?? 'default';
  const row = (s: SettingName, value: string | undefined) => {
    if (value === undefined) rows.push([`; ${s} is not set`, '']);
    else rows.push([`${s} = ${ini.safe(value)}`, from(s)]);
  };
  row('joot_home', c.joot_home);
  row('default_image', c.default_image);
  const list = (s: 'image_path' | 'pass_thru_env' | 'backing_dirs') => {
    if (c[s].length === 0) rows.push([`; ${s} is empty`, from(s)]);
    else row(s, c[s].join(', '));
  };
  for (const s of ['image_path', 'pass_thru_env'] as const) list(s);
  row('read_only', String(c.read_only));
  row('linger', String(c.linger));
  list('backing_dirs');
  row('engine', c.engine);
  row('kernel_mounts', c.kernel_mounts);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const header = c.source
    ? `; joot configuration from ${c.source}`
    : `; no configuration file ($JOOT_CONFIG, ~/${USER_CONFIG}, ${SYSTEM_CONFIG}): built-in defaults`;
  const body = rows.map(([l, o]) => (o ? `${l.padEnd(width)}; ${o}` : l));
  return `${[header, ...body].join('\n')}\n`;
}
