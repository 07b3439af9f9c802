// The engine and LUKS-key options jfish and jinspect share: --engine=userspace|kernel (else
// $JOOT_ENGINE, else the configuration's `engine`, else the userspace engine for read-only work
// and by privilege otherwise: see the appliance's chooseEngine), --no-kernel-mounts, --key SELECTOR:key:PASS / SELECTOR:file:FILE / DEVICE:header:HDRFILE:key:PASS (a detached LUKS header;
// src/disk/keys.ts) (repeatable), --keys-from-stdin.
import { parseEngineName, parseKeySpec, type SessionOptions } from '../appliance/index.js';
import type { JootConfig } from './config.js';
import { keyReader } from './key-prompt.js';

export interface EngineArgs {
  engine?: string;
  /** --no-kernel-mounts */
  noKernelMounts?: boolean;
  keys: readonly string[];
  keysFromStdin: boolean;
}

/**
 * `readOnlyWork`: the tool only reads (jinspect, jwinreg without --merge, jfish --ro), so the
 * userspace engine is the default even for root (a filesystem it does not read goes through
 * the kernel, as root, unless kernel mounts are refused).
 */
export function engineOptions(
  config: JootConfig,
  args: EngineArgs,
  readOnlyWork = false,
): Pick<SessionOptions, 'engine' | 'keys' | 'askKey' | 'kernelMounts'> {
  const engine =
    args.engine !== undefined
      ? parseEngineName(args.engine, '--engine')
      : process.env.JOOT_ENGINE && process.env.JOOT_ENGINE !== 'auto'
        ? undefined // the appliance reads $JOOT_ENGINE itself
        : (config.engine ?? (readOnlyWork ? 'userspace' : undefined));
  const read = keyReader(true);
  return {
    engine,
    kernelMounts: args.noKernelMounts ? 'never' : config.kernel_mounts,
    keys: args.keys.map(parseKeySpec),
    askKey: args.keysFromStdin ? async (device) => Buffer.from(await read(`${device}: `), 'utf8') : undefined,
  };
}
