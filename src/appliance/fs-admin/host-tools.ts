// Which administration programs this host has. Looked up on PATH plus the sbin directories
// (a non-login root shell may lack them), once per process: installing a package while joot
// runs is not a case worth a stat per call.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

const cache = new Map<string, boolean>();

export function hostHas(cmd: string): boolean {
  let have = cache.get(cmd);
  if (have === undefined) {
    const dirs = new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin']);
    have = [...dirs].some((d) => {
      try {
        accessSync(join(d, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    cache.set(cmd, have);
  }
  return have;
}
