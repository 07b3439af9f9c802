// Apply a parsed .reg file to a hive. The .reg names keys from a registry root
// (HKEY_LOCAL_MACHINE\SOFTWARE\…); `prefix` says which of those the hive is mounted at.
import { JootError } from '../core/errors.js';
import type { Hive } from './hive.js';
import { upcase } from './names.js';
import { parseReg, type RegFile } from './reg-parse.js';

const ROOT_ALIASES: Record<string, string> = {
  HKLM: 'HKEY_LOCAL_MACHINE',
  HKCU: 'HKEY_CURRENT_USER',
  HKCR: 'HKEY_CLASSES_ROOT',
  HKU: 'HKEY_USERS',
  HKCC: 'HKEY_CURRENT_CONFIG',
};

function components(path: string): string[] {
  const parts = path.split('\\').filter((p) => p !== '');
  const first = parts[0] && ROOT_ALIASES[upcase(parts[0])];
  if (first) parts[0] = first;
  return parts;
}

/** The hive path of a .reg key path, or undefined when it is not under `prefix`. */
export function hivePath(regPath: string, prefix: string): string | undefined {
  const p = components(prefix);
  const k = components(regPath);
  if (k.length < p.length) return undefined;
  for (let i = 0; i < p.length; i++) if (upcase(p[i]!) !== upcase(k[i]!)) return undefined;
  return k.slice(p.length).join('\\');
}

export interface MergeOptions {
  /** Registry path the hive's root stands for, e.g. HKEY_LOCAL_MACHINE\SOFTWARE ('' = none). */
  prefix: string;
}

/** Merge a .reg file (bytes, text, or already parsed) into the hive, in file order. */
export function mergeReg(hive: Hive, input: Uint8Array | string | RegFile, opts: MergeOptions): void {
  const reg = typeof input === 'object' && 'ops' in input ? input : parseReg(input);
  const where = (path: string, line: number): string => {
    const p = hivePath(path, opts.prefix);
    if (p === undefined) throw new JootError('EINVAL', `.reg line ${line}: key ${path} is not under ${opts.prefix}`);
    return p;
  };
  for (const op of reg.ops) {
    switch (op.op) {
      case 'key':
        hive.createKey(where(op.path, op.line));
        break;
      case 'deleteKey': {
        const p = where(op.path, op.line);
        if (p === '') throw new JootError('EINVAL', `.reg line ${op.line}: refusing to delete the hive's root key`);
        hive.deleteKey(p);
        break;
      }
      case 'set':
        hive.createKey(where(op.key, op.line)).setValue(op.name, op.type, op.data);
        break;
      case 'deleteValue':
        hive.lookup(where(op.key, op.line))?.deleteValue(op.name);
        break;
    }
  }
}
