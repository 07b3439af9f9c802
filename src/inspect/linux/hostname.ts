// The guest's hostname, looked for as libguestfs does (check_hostname_linux): /etc/HOSTNAME
// (old SUSE / Debian), /etc/hostname (Debian-derived, RHEL 7+, Fedora 18+), then HOSTNAME= in
// /etc/sysconfig/network (older Red Hat). In a file, the first line that is neither empty nor
// a comment counts (hostname(5)); joot also trims it and ignores values that cannot be a
// hostname (whitespace inside, control characters, over 255 characters).

import type { GuestFiles } from '../types.js';
import { parseOsRelease, readSmallText, splitLines } from './os-release.js';

const MAX_HOSTNAME = 255;

/** A plausible hostname (not a validator of DNS syntax: guests hold odd but real names). */
export function isPlausibleHostname(s: string): boolean {
  return s.length > 0 && s.length <= MAX_HOSTNAME && !/[\s\x00-\x1f\x7f]/.test(s);
}

/** The hostname in a hostname(5)-style file's text, or undefined. */
export function hostnameFromText(text: string): string | undefined {
  for (const line of splitLines(text)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    return isPlausibleHostname(t) ? t : undefined;
  }
  return undefined;
}

/** HOSTNAME= in /etc/sysconfig/network (shell syntax), or undefined. */
export function hostnameFromSysconfigNetwork(text: string): string | undefined {
  const v = parseOsRelease(text)['HOSTNAME']?.trim();
  return v !== undefined && isPlausibleHostname(v) ? v : undefined;
}

/** The guest hostname, or undefined. Unreadable files add a warning to `warnings`. */
export async function detectHostname(files: GuestFiles, warnings?: string[]): Promise<string | undefined> {
  for (const path of ['/etc/HOSTNAME', '/etc/hostname']) {
    const text = await readSmallText(files, path, warnings);
    if (text === undefined) continue;
    const h = hostnameFromText(text);
    if (h !== undefined) return h;
  }
  const net = await readSmallText(files, '/etc/sysconfig/network', warnings);
  return net === undefined ? undefined : hostnameFromSysconfigNetwork(net);
}
