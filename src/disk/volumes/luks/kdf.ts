// Key derivation for a key slot (and the volume-key digests): PBKDF2 from node's crypto,
// argon2i/argon2id from hash-wasm. Every cost a header names is checked against a cap before
// any work starts: a hostile header must not buy minutes of CPU or gigabytes of memory.
import { nodeCrypto } from '../../../core/lazy-node.js';
import { JootError } from '../../../core/errors.js';

export type LuksKdf =
  | { type: 'pbkdf2'; hash: string; iterations: number; salt: Buffer }
  | { type: 'argon2i' | 'argon2id'; time: number; memoryKiB: number; parallelism: number; salt: Buffer };

export const CAPS = {
  pbkdf2Iterations: 10_000_000,
  argon2MemoryKiB: 1024 * 1024,
  argon2Time: 16,
  argon2Parallelism: 64,
} as const;

/** Why a KDF is refused (its cost is past a cap), or undefined when it may run. */
export function kdfRefusal(kdf: LuksKdf): string | undefined {
  if (kdf.type === 'pbkdf2') {
    return kdf.iterations > CAPS.pbkdf2Iterations
      ? `pbkdf2 iteration count ${kdf.iterations} exceeds the cap ${CAPS.pbkdf2Iterations}`
      : undefined;
  }
  if (kdf.memoryKiB > CAPS.argon2MemoryKiB)
    return `${kdf.type} memory cost ${kdf.memoryKiB} KiB exceeds the cap ${CAPS.argon2MemoryKiB} KiB`;
  if (kdf.time > CAPS.argon2Time) return `${kdf.type} time cost ${kdf.time} exceeds the cap ${CAPS.argon2Time}`;
  if (kdf.parallelism > CAPS.argon2Parallelism)
    return `${kdf.type} parallelism ${kdf.parallelism} exceeds the cap ${CAPS.argon2Parallelism}`;
  return undefined;
}

/** Derive `length` bytes; the caller has checked kdfRefusal. Library failures become EFORMAT naming `where`. */
export async function deriveKey(kdf: LuksKdf, secret: Buffer, length: number, where: string): Promise<Buffer> {
  const refused = kdfRefusal(kdf);
  if (refused) throw new JootError('EUNSUPPORTED', `${where}: ${refused}`);
  try {
    if (kdf.type === 'pbkdf2') {
      return await new Promise<Buffer>((resolve, reject) =>
        nodeCrypto().pbkdf2(secret, kdf.salt, kdf.iterations, length, kdf.hash, (e, k) => (e ? reject(e) : resolve(k))),
      );
    }
    // loaded when a key slot needs it: the WebAssembly module is most of a tool's startup otherwise
    // (bundled, the UMD build's exports sit under `default`)
    type HashWasm = typeof import('hash-wasm');
    const m = (await import('hash-wasm')) as HashWasm & { default?: HashWasm };
    const { argon2i, argon2id } = typeof m.argon2id === 'function' ? m : m.default!;
    const f = kdf.type === 'argon2i' ? argon2i : argon2id;
    const out = await f({
      password: secret,
      salt: kdf.salt,
      iterations: kdf.time,
      memorySize: kdf.memoryKiB,
      parallelism: kdf.parallelism,
      hashLength: length,
      outputType: 'binary',
    });
    return Buffer.from(out);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new JootError('EFORMAT', `${where}: ${kdf.type} key derivation failed: ${why}`, { cause: e });
  }
}
