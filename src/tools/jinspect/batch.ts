// jinspect --batch: inspect many images in one process, several at a time, one NDJSON line per
// image as it finishes ({"image","ok","report"} or {"image","ok":false,"error"}), a progress
// line on a terminal, a summary at the end. One bad image never stops the others; results are
// reused from the cache while an image and its chain are unchanged (batch-cache.ts). Memory
// stays bounded: each report is written and dropped as soon as it is done.
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { oneLine } from '../../core/errors.js';
import { jsonText } from '../../core/escape.js';
import { fdIsTerminal, StdoutWriter, writeStderr } from '../../core/stdio.js';
import { UsageError } from '../cli.js';
import { type ImageResultOptions, inspectOne, resultLine, resultMembers } from './batch-result.js';
import { cached, cacheDir, identityKey, remember } from './batch-cache.js';
import { Progress } from './batch-progress.js';

export interface BatchOptions extends ImageResultOptions {
  /** image paths and fast-glob patterns, as given */
  inputs: { path: string; format?: string }[];
  /** a file of image paths, one a line ('-': stdin) */
  from?: string;
  jobs: number;
  cache: boolean;
}

/** at most this many images at a time, whatever --jobs says */
export const MAX_JOBS = 64;

/** Expand the inputs: patterns through fast-glob (sorted), literal paths as they are, each once. */
export async function expandInputs(o: Pick<BatchOptions, 'inputs' | 'from'>): Promise<{ path: string; format?: string }[]> {
  const { default: fg } = await import('fast-glob');
  const seen = new Set<string>();
  const out: { path: string; format?: string }[] = [];
  const add = (path: string, format?: string): void => {
    const key = resolve(path);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, format });
  };
  for (const i of o.inputs) {
    if (fg.isDynamicPattern(i.path)) {
      for (const p of (await fg(i.path, { onlyFiles: true, dot: false, followSymbolicLinks: false })).sort()) add(p, i.format);
    } else add(i.path, i.format);
  }
  if (o.from !== undefined) {
    const text =
      o.from === '-'
        ? await readStdin()
        : await readFile(o.from, 'utf8').catch((e: NodeJS.ErrnoException) => {
            throw new UsageError(`--from ${o.from}: ${e.code ?? e.message}`);
          });
    for (const line of text.split('\n')) {
      const p = line.trim();
      if (p !== '' && !p.startsWith('#')) add(p);
    }
  }
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Run the batch; the exit status: 0 all inspected, 1 any failed, 130 interrupted. */
export async function runBatch(o: BatchOptions): Promise<number> {
  const images = await expandInputs(o);
  if (images.length === 0) throw new UsageError('--batch: no image matched');
  const jobs = Math.max(1, Math.min(o.jobs, MAX_JOBS, images.length));
  const salt = jsonText({
    // 2: reports carry the packages' licenses
    v: 2,
    applications: o.inspect.applications !== false,
    sections: [...(o.inspect.sections ?? [])].sort(),
    icon: o.inspect.icon !== false,
    licenses: o.inspect.licenses === true,
    strict: o.strict,
    engine: o.session.engine ?? '',
  });
  const dir = cacheDir();
  if (o.out) await mkdir(o.out, { recursive: true });
  const out = new StdoutWriter();
  const progress = new Progress(images.length, fdIsTerminal(2));
  let fromCache = 0;
  let stopped = false;
  const onInterrupt = (): void => {
    if (stopped) return;
    stopped = true;
    progress.clear();
    writeStderr(`jinspect: interrupted: ${progress.done} of ${images.length} images done, releasing the others\n`);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  // one result at a time: clear the progress line, write the result, draw the line again (two
  // images finishing together would otherwise write one's line after the other's redraw, on
  // the progress text)
  let emitted = Promise.resolve();
  const emit = (image: string, members: string | undefined, error: string | undefined): Promise<void> =>
    (emitted = emitted.then(async () => {
      // after ^C nothing more is said: an image in flight was cut off (its session released),
      // not failed, and the count the interrupt printed stays the number of lines
      if (stopped) return;
      progress.clear();
      await out.write(`${resultLine(image, members, error)}\n`);
      progress.tick(members !== undefined);
    }));

  let next = 0;
  const worker = async (): Promise<void> => {
    while (!stopped && next < images.length) {
      const image = images[next++]!;
      let members: string | undefined;
      let error: string | undefined;
      try {
        let report: string | undefined;
        const key = o.cache ? await identityKey(image.path, image.format, salt, o.session) : undefined;
        report = key === undefined ? undefined : await cached(dir, key);
        if (report !== undefined) fromCache++;
        else {
          report = await inspectOne(image, o);
          if (key !== undefined) await remember(dir, key, report);
        }
        members = await resultMembers(image, report, o);
      } catch (e) {
        members = undefined;
        error = oneLine(e);
      }
      await emit(image.path, members, error);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  progress.clear();
  const cachedNote = fromCache ? ` (${fromCache} from the cache)` : '';
  const failed = progress.failed ? `, ${progress.failed} failed` : '';
  writeStderr(
    `jinspect: ${progress.done} of ${images.length} images inspected${cachedNote}${failed} in ${progress.seconds.toFixed(1)} s\n`,
  );
  if (stopped) return 130;
  return progress.failed ? 1 : 0;
}
