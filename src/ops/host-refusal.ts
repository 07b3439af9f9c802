// Where jfish refuses what guestfish allows inside its own VM: jfish's filesystems are mounted
// by the host kernel, so changing one under its mount could harm the host, not only the guest.
import { JootError } from '../core/errors.js';

/** EBUSY from a mounted device, saying why jfish refuses what guestfish (in its VM) allows. */
export async function forTheHost<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof JootError && e.code === 'EBUSY')
      throw new JootError('EBUSY', `${e.message}: refused for the host's sake (its kernel has that filesystem mounted)`, { cause: e });
    throw e;
  }
}
