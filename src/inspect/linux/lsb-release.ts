// /etc/lsb-release: DISTRIB_ID / DISTRIB_RELEASE / DISTRIB_DESCRIPTION (Ubuntu, Linux Mint,
// Mageia, CoreOS, old Mandriva). Values are only stripped of one pair of surrounding quotes,
// as libguestfs does (simple_unquote), not shell-unquoted.

import type { GuestFiles } from '../types.js';
import { readSmallText, splitLines } from './os-release.js';

/** Strip one pair of matching surrounding quotes ("…" or '…'). */
export function simpleUnquote(s: string): string {
  if (s.length >= 2) {
    const q = s[0];
    if ((q === '"' || q === "'") && s[s.length - 1] === q) return s.slice(1, -1);
  }
  return s;
}

/** KEY=value lines into a map (null prototype); blank, comment and malformed lines ignored. */
export function parseLsbRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of splitLines(text)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const key = t.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    fields[key] = simpleUnquote(t.slice(eq + 1).trim()).replace(/\0/g, '');
  }
  return fields;
}

/** The parsed /etc/lsb-release, or undefined when there is none. */
export async function readLsbRelease(
  files: GuestFiles,
  warnings?: string[],
  path = '/etc/lsb-release',
): Promise<Record<string, string> | undefined> {
  const text = await readSmallText(files, path, warnings);
  return text === undefined ? undefined : parseLsbRelease(text);
}

/**
 * libguestfs's distro name for DISTRIB_ID (distro_of_lsb_release_distrib_id), plus
 * MandrivaLinux → mandriva: libguestfs has that distro name but never sets it (its lsb
 * parser stops at an unknown DISTRIB_ID), so old Mandriva comes out "unknown" there.
 */
export function distroOfLsbDistribId(id: string): string | undefined {
  switch (id) {
    case 'CoreOS':
      return 'coreos';
    case 'LinuxMint':
      return 'linuxmint';
    case 'Mageia':
      return 'mageia';
    case 'Ubuntu':
      return 'ubuntu';
    case 'MandrivaLinux':
      return 'mandriva';
    default:
      return undefined;
  }
}
