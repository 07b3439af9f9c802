// The image chain as explicit qemu block options: every layer gets its driver named, so
// qemu never probes a format (a raw base must never be read as qcow2) and never opens a
// backing file or data file we did not check.
import type { ImageLayer } from '../image.js';

/** qemu's option syntax doubles commas inside values. */
export function escapeOpt(v: string): string {
  return v.replace(/,/g, ',,');
}

/**
 * Dotted options for the top layer, with the backing layers nested:
 * driver=qcow2,file.driver=file,file.filename=X,backing.driver=raw,backing.file.driver=file,…
 */
export function chainOptions(chain: readonly ImageLayer[], readonly: boolean, prefix = ''): string[] {
  const [top, ...rest] = chain;
  if (!top) throw new Error('empty image chain');
  const opts = [
    `${prefix}driver=${top.format}`,
    `${prefix}file.driver=${top.path.startsWith('/dev/') ? 'host_device' : 'file'}`,
    `${prefix}file.filename=${escapeOpt(top.path)}`,
  ];
  // an external data file is opened by the name probeImage checked, never by the header's
  if (top.dataFile) opts.push(`${prefix}data-file.driver=file`, `${prefix}data-file.filename=${escapeOpt(top.dataFile)}`);
  if (prefix === '') opts.push(`read-only=${readonly ? 'on' : 'off'}`);
  if (rest.length) opts.push(...chainOptions(rest, true, `${prefix}backing.`));
  return opts;
}
