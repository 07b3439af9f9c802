// /etc/os-release (else /usr/lib/os-release): shell-style KEY=value lines, as described in
// os-release(5). Also home of the small-file reader the other Linux fact readers share.

import type { GuestFiles } from '../types.js';

/** Cap for small configuration files (release files, hostname, os-release). */
export const SMALL_FILE_MAX = 64 * 1024;

/**
 * Read a small guest text file. Missing paths and non-regular files (directories, devices,
 * dangling links) are normal and give undefined, like libguestfs's is_file checks; a file that
 * cannot be read (too large, I/O error) gives undefined plus a warning naming the guest path.
 */
export async function readSmallText(
  files: GuestFiles,
  path: string,
  warnings?: string[],
  maxBytes: number = SMALL_FILE_MAX,
): Promise<string | undefined> {
  try {
    if (!(await files.isFile(path))) return undefined;
    const buf = await files.readFile(path, { maxBytes });
    return buf.toString('utf8');
  } catch (e) {
    warnings?.push(e instanceof Error ? e.message : `${path}: ${String(e)}`);
    return undefined;
  }
}

/** Split text into lines without their LF / CRLF terminators. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** Characters a backslash escapes inside double quotes (POSIX sh); elsewhere it is kept. */
const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`']);

/**
 * Unquote one shell-style value: '…' is literal, "…" honours \" \\ \$ \` escapes, outside
 * quotes a backslash escapes any character; adjacent pieces concatenate ("a"'b'c → abc).
 * An unterminated quote takes the rest of the line. Unquoted whitespace ends the value
 * (anything after it, e.g. a trailing comment, is dropped).
 */
export function shellUnquote(raw: string): string {
  let out = '';
  let i = 0;
  const n = raw.length;
  while (i < n) {
    const c = raw[i]!;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) {
        out += raw.slice(i + 1);
        break;
      }
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < n && raw[i] !== '"') {
        const d = raw[i]!;
        if (d === '\\' && i + 1 < n && DQ_ESCAPABLE.has(raw[i + 1]!)) {
          out += raw[i + 1];
          i += 2;
        } else {
          out += d;
          i++;
        }
      }
      i++; // closing quote (or past the end)
    } else if (c === '\\') {
      if (i + 1 < n) out += raw[i + 1];
      i += 2;
    } else if (c === ' ' || c === '\t') {
      break;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * Parse os-release text into a map (null prototype: guest keys like "__proto__" are plain keys).
 * Blank lines, comments and lines that are not KEY=value with a shell-variable-like KEY are
 * ignored; a later assignment of the same key wins.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of splitLines(text)) {
    const trimmed = line.replace(/^[ \t]+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    fields[key] = shellUnquote(trimmed.slice(eq + 1)).replace(/\0/g, '');
  }
  return fields;
}

export interface OsRelease {
  /** the guest path that was read */
  path: string;
  fields: Record<string, string>;
}

/** /etc/os-release, else /usr/lib/os-release (os-release(5)); undefined when neither exists. */
export async function readOsRelease(files: GuestFiles, warnings?: string[]): Promise<OsRelease | undefined> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await readSmallText(files, path, warnings);
    if (text !== undefined) return { path, fields: parseOsRelease(text) };
  }
  return undefined;
}

/**
 * libguestfs's distro name for an os-release ID (daemon/inspect_fs_unix.ml
 * distro_of_os_release_id); undefined for IDs it does not know.
 */
export function distroOfOsReleaseId(id: string): string | undefined {
  switch (id) {
    case 'alpine':
      return 'alpinelinux';
    case 'altlinux':
      return 'altlinux';
    case 'arch':
      return 'archlinux';
    case 'centos':
      return 'centos';
    case 'circle': // libguestfs >= 1.52
      return 'circle';
    case 'coreos':
      return 'coreos';
    case 'debian':
      return 'debian';
    case 'fedora':
      return 'fedora';
    case 'frugalware':
      return 'frugalware';
    case 'gentoo':
      return 'gentoo';
    case 'kali':
      return 'kalilinux';
    case 'kylin':
      return 'kylin';
    case 'mageia':
      return 'mageia';
    case 'neokylin':
      return 'neokylin';
    case 'openmandriva':
      return 'openmandriva';
    case 'opensuse':
      return 'opensuse';
    case 'pardus':
      return 'pardus';
    case 'pld':
      return 'pldlinux';
    case 'rhel':
      return 'rhel';
    case 'rocky':
      return 'rocky';
    case 'sles':
    case 'sled':
      return 'sles';
    case 'ubuntu':
      return 'ubuntu';
    case 'void':
      return 'voidlinux';
    default:
      // opensuse-leap, opensuse-tumbleweed, opensuse-microos, …
      return id.startsWith('opensuse-') ? 'opensuse' : undefined;
  }
}

/** The ID_LIKE list (space-separated, os-release(5)), in order. */
export function idLikeOf(fields: Record<string, string>): string[] {
  return (fields['ID_LIKE'] ?? '').split(/\s+/).filter((s) => s !== '');
}
