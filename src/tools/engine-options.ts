// The engine and LUKS-key options jfish and jinspect share: --engine=userspace|kernel (else
// $JOOT_ENGINE, else the configuration's `engine`, else the userspace engine for read-only work
// and by privilege otherwise: see the appliance's chooseEngine), --no-kernel-mounts, --key SELECTOR:key:PASS / SELECTOR:file:FILE / DEVICE:header:HDRFILE:key:PASS (a detached LUKS header;
// src/disk/keys.ts) (repeatable), --keys-from-stdin.
import { chooseEngine, type EngineName, parseEngineName, parseKeySpec, type SessionOptions } from '../appliance/index.js';
import type { JootConfig } from './config.js';
import { keyReader } from './key-prompt.js';

export interface EngineArgs {
  engine?: string;
  /** --no-kernel-mounts */
  noKernelMounts?: boolean;
  keys: readonly string[];
  keysFromStdin: boolean;
}

/** The engine asked for, if any, and who asked: --engine, $JOOT_ENGINE, the configuration, read-only work. */
function requested(config: JootConfig, args: EngineArgs, readOnlyWork: boolean | string): { engine?: EngineName; why?: string } {
  if (args.engine !== undefined) return { engine: parseEngineName(args.engine, '--engine'), why: '--engine' };
  // the appliance reads $JOOT_ENGINE itself
  if (process.env.JOOT_ENGINE && process.env.JOOT_ENGINE !== 'auto') return { why: '$JOOT_ENGINE' };
  if (config.engine) return { engine: config.engine, why: "the configuration's engine" };
  if (readOnlyWork) return { engine: 'userspace', why: typeof readOnlyWork === 'string' ? readOnlyWork : 'read-only work' };
  return {};
}

/**
 * The engine a session made with engineOptions' answer will use, and why (one line, for -v).
 * `otherwise`: why the work is not read-only, said when the default by privilege applies.
 */
export function engineChoice(
  config: JootConfig,
  args: EngineArgs,
  readOnlyWork: boolean | string,
  otherwise?: string,
): { engine: EngineName; why: string } {
  const r = requested(config, args, readOnlyWork);
  const engine = chooseEngine(r.engine);
  if (r.why !== undefined) return { engine, why: r.why };
  const byPrivilege = engine === 'kernel' ? 'the default for root' : 'the default when not root';
  return { engine, why: otherwise ? `${byPrivilege}: ${otherwise}` : byPrivilege };
}

/**
 * `readOnlyWork`: the tool only reads (jinspect, jwinreg without --merge, jfish --ro, a jfish
 * script of read-only commands; a string says why), so the userspace engine is the default even
 * for root (a filesystem it does not read goes through the kernel, as root, unless kernel
 * mounts are refused).
 */
export function engineOptions(
  config: JootConfig,
  args: EngineArgs,
  readOnlyWork: boolean | string = false,
): Pick<SessionOptions, 'engine' | 'keys' | 'askKey' | 'kernelMounts'> {
  const { engine } = requested(config, args, readOnlyWork);
  const read = keyReader(true);
  return {
    engine,
    kernelMounts: args.noKernelMounts ? 'never' : config.kernel_mounts,
    keys: args.keys.map(parseKeySpec),
    askKey: args.keysFromStdin ? async (device) => Buffer.from(await read(`${device}: `), 'utf8') : undefined,
  };
}
