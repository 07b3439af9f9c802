// joot's version, from package.json (found by walking up from this file: works from src/ and
// dist/): for the tools' --version and jfish's version command.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedVersion: string | undefined;

/** joot's version ("0.1.0"), or "unknown" when no package.json of joot is found. */
export function version(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'joot' && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // not here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) return (cachedVersion = 'unknown');
    dir = up;
  }
}
