// Stage 1, images: the drives added before launch, each probed (format, backing chain),
// claimed in the session record, checked and attached by a backend as a host block device.
import { realpath } from 'node:fs/promises';
import { JootError, isJootError } from '../../core/errors.js';
import type { AttachedDisk } from '../attach/backend.js';
import { chooseBackend } from '../attach/choose.js';
import { checkImage, probeImage, type ImageInfo } from '../image.js';
import { diskName } from '../names.js';
import { type CachedProbe, probeImageWithCache } from '../probe-cache.js';
import type { DriveOptions, SessionOptions } from '../types.js';
import type { Workspace } from './workspace.js';

export interface Drive {
  path: string;
  opts: DriveOptions;
  readonly: boolean;
  image?: ImageInfo;
  attached?: AttachedDisk;
}

export class Drives {
  readonly list: Drive[] = [];

  constructor(
    private readonly ws: Workspace,
    private readonly options: SessionOptions,
  ) {}

  add(path: string, opts: DriveOptions): void {
    if (!path) throw new JootError('EINVAL', 'empty drive path');
    this.list.push({ path, opts, readonly: opts.readonly ?? false });
  }

  get length(): number {
    return this.list.length;
  }

  /** True when every drive is read-only. */
  get readonly(): boolean {
    return this.list.length > 0 && this.list.every((d) => d.readonly);
  }

  /** The canonical whole-disk names, in drive order. */
  names(): string[] {
    return this.list.map((_, i) => diskName(i));
  }

  /** Probe, claim, check and attach drive `index`; its host block device. */
  async attach(index: number): Promise<string> {
    const d = this.list[index]!;
    const record = this.ws.launchedRecord;
    const probeOpts = {
      format: d.opts.format,
      readonly: d.readonly,
      allowUnsafeBacking: d.opts.allowUnsafeBacking,
      backingDirs: [...(this.options.backingDirs ?? []), ...(d.opts.backingDirs ?? [])],
      backingImages: [...(this.options.backingImages ?? []), ...(d.opts.backingImages ?? [])],
      check: false,
    };
    const cacheFile = d.opts.probeCache;
    let cached: CachedProbe | undefined;
    try {
      if (cacheFile) cached = await probeImageWithCache(d.path, probeOpts, cacheFile);
      d.image = cached ? cached.info : await probeImage(d.path, probeOpts);
    } catch (e) {
      // qemu's lock refused it: if another joot session is the holder, say so (with its pid)
      if (isJootError(e, 'EBUSY')) await record.claimImage({ path: await realpath(d.path), readonly: d.readonly }, d.path);
      throw e;
    }
    // claim every layer: the top as asked, backing files read-only
    for (const [i, layer] of d.image.chain.entries()) {
      await record.claimImage({ path: layer.path, readonly: d.readonly || i > 0 }, i === 0 ? d.path : layer.path);
    }
    const backend = chooseBackend(d.image, this.options.backend);
    // qemu-img check reads only metadata: on a read-only drive it runs (sharing locks) while the
    // backend attaches, and its message is the one that explains a corrupt image. A read-write
    // attach holds qemu's write lock, which a concurrent check would trip over: check first.
    // A cache hit was checked when it was cached, and nothing it depends on changed since.
    const check = !cached?.hit;
    if (!d.readonly && check) await checkImage(d.image, false);
    const [attached, checked] = await Promise.allSettled([
      backend.attach(d.image, { stack: this.ws.stack, tmpdir: this.ws.tmp, readonly: d.readonly, index }),
      d.readonly && check ? checkImage(d.image, true) : Promise.resolve(),
    ]);
    if (checked.status === 'rejected') throw checked.reason;
    if (attached.status === 'rejected') throw attached.reason;
    d.attached = attached.value;
    await cached?.save(); // a miss, checked now: cache it (never throws)
    return d.attached.device;
  }
}
