// node:crypto and node:zlib, loaded on first use: each costs every tool's start a few ms
// (ciphers, streams), and most runs never hash, encrypt or inflate anything.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;
let zlib: typeof import('node:zlib') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= load('node:crypto') as typeof import('node:crypto');
  return crypto;
}

export function nodeZlib(): typeof import('node:zlib') {
  zlib ??= load('node:zlib') as typeof import('node:zlib');
  return zlib;
}
