// Which backend attaches a drive: the caller's choice, else $JOOT_BACKEND, else by host and
// image — a loop device for raw files (fastest: no userspace hop), kernel NBD where the host
// has it, the qemu-storage-daemon FUSE export everywhere else.
import { JootError } from '../../core/errors.js';
import type { ImageInfo } from '../image.js';
import type { BackendName } from '../types.js';
import type { AttachBackend } from './backend.js';
import { fuseBackend } from './fuse.js';
import { loopBackend } from './loop.js';
import { hostHasNbd, nbdBackend } from './nbd.js';

const BACKENDS: Record<BackendName, AttachBackend> = { loop: loopBackend, fuse: fuseBackend, nbd: nbdBackend };

export function parseBackendName(name: string, source: string): BackendName {
  if (name === 'loop' || name === 'fuse' || name === 'nbd') return name;
  throw new JootError('EINVAL', `${source}: unknown backend '${name}' (expected nbd, fuse or loop)`);
}

export function chooseBackend(image: ImageInfo, requested?: BackendName, host = { nbd: hostHasNbd() }): AttachBackend {
  const env = process.env.JOOT_BACKEND;
  const want = requested ?? (env && env !== 'auto' ? parseBackendName(env, 'JOOT_BACKEND') : undefined);
  const plainRaw = image.format === 'raw' && image.chain.length === 1;
  if (want === 'loop' && !plainRaw) {
    // a forced loop backend cannot open qcow2 etc.: use the userspace path for those
    return host.nbd ? BACKENDS.nbd : BACKENDS.fuse;
  }
  if (want === 'nbd' && !host.nbd)
    throw new JootError('EUNSUPPORTED', 'the nbd backend needs kernel NBD (/dev/nbd0), which this host lacks');
  if (want) return BACKENDS[want];
  if (plainRaw) return BACKENDS.loop;
  return host.nbd ? BACKENDS.nbd : BACKENDS.fuse;
}
