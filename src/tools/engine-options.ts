// The engine and LUKS-key options jfish and jinspect share: --engine=userspace|kernel (else
// $JOOT_ENGINE, else the configuration's `engine`, else by privilege: see the appliance's
// chooseEngine), --key SELECTOR:key:PASS / SELECTOR:file:FILE (repeatable), --keys-from-stdin.
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

export function engineOptions(config: JootConfig, args: EngineArgs): Pick<SessionOptions, 'engine' | 'keys' | 'askKey' | 'kernelMounts'> {
  const engine =
    args.engine !== undefined
      ? parseEngineName(args.engine, '--engine')
      : process.env.JOOT_ENGINE && process.env.JOOT_ENGINE !== 'auto'
        ? undefined // the appliance reads $JOOT_ENGINE itself
        : config.engine;
  const read = keyReader(true);
  return {
    engine,
    kernelMounts: args.noKernelMounts ? 'never' : config.kernel_mounts,
    keys: args.keys.map(parseKeySpec),
    askKey: args.keysFromStdin ? async (device) => Buffer.from(await read(`${device}: `), 'utf8') : undefined,
  };
}
