// node:crypto, node:zlib and node:stream, loaded on first use: each costs every tool's start a
// few ms (ciphers, streams), and most runs never hash, encrypt, inflate or pipe anything.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;
let zlib: typeof import('node:zlib') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= load('node:crypto') as typeof import('node:crypto');
  return crypto;
}

let stream: typeof import('node:stream') | undefined;

export function nodeStream(): typeof import('node:stream') {
  stream ??= load('node:stream') as typeof import('node:stream');
  return stream;
}

export function nodeZlib(): typeof import('node:zlib') {
  zlib ??= load('node:zlib') as typeof import('node:zlib');
  return zlib;
}
