// Which files an image's headers may name, as the tools allow them (see the appliance's
// named-path.ts for the rule): the directories given with --backing-dir, the configuration's
// backing_dirs ($JOOT_BACKING_DIRS is read by the appliance itself), and the images registered
// with `joot image add` (joot's own overlays are backed by them).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JootConfig } from './config.js';

export interface BackingOptions {
  backingDirs: string[];
  backingImages: string[];
}

/** The paths of the images registered in joot's store (JOOT_HOME/images/NAME.json); none when unreadable. */
export function registeredImagePaths(jootHome: string): string[] {
  const dir = join(jootHome, 'images');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    try {
      const e = JSON.parse(readFileSync(join(dir, n), 'utf8')) as { path?: unknown };
      if (typeof e.path === 'string' && e.path.startsWith('/')) out.push(e.path);
    } catch {
      /* a broken entry allows nothing */
    }
  }
  return out;
}

export function backingOptions(config: JootConfig, cliDirs: readonly string[] = []): BackingOptions {
  return { backingDirs: [...cliDirs, ...config.backing_dirs], backingImages: registeredImagePaths(config.joot_home) };
}
