// The host files one image layer names (backing file, qcow2 data file, vmdk extents and the
// descriptors nested in them), read from its headers and each checked by the allow-list rule
// (named-path.ts) before anything opens it: the same walk src/appliance/image.ts does before
// qemu-img runs.
import { JootError } from '../../core/errors.js';
import { readHeaderRefs, vmdkNestedRefs, type HeaderRef } from './image-headers.js';
import { checkNamedPath, type BackingAllowance } from './named-path.js';

export interface LayerNames {
  backing?: { name: string; real: string; format?: string };
  dataFile?: string;
  /** real paths of the layer and every extent it names (vmdk) */
  extents: Set<string>;
}

const MAX_EXTENTS = 1024;

/** Check every name the layer at `path` (read as `format`) gives; `layerGiven` is what messages say. */
export async function checkLayerNames(layerGiven: string, path: string, format: string, allow: BackingAllowance): Promise<LayerNames> {
  return (await readLayerNames(layerGiven, path, format, allow)).names;
}

/**
 * The same, for a layer whose format may be unknown yet (`undefined`: detected from its header):
 * also what the header reader detected and read it as. The kernel engine's image.ts uses this.
 */
export async function readLayerNames(
  layerGiven: string,
  path: string,
  format: string | undefined,
  allow: BackingAllowance,
): Promise<{ names: LayerNames; detected?: string; parsedAs?: string }> {
  const bad = (what: string): JootError => new JootError('EFORMAT', `${layerGiven}: ${what}`);
  const names: LayerNames = { extents: new Set([path]) };
  if (format === 'raw') return { names, parsedAs: 'raw' }; // raw names nothing (and may be a device)
  let facts;
  try {
    facts = await readHeaderRefs(path, format);
  } catch (e) {
    throw bad(`cannot read its header (${(e as Error).message})`);
  }
  if (facts.refuse) throw new JootError('EUNSUPPORTED', `${layerGiven}: ${facts.refuse}`);
  const check = (field: string, name: string): Promise<string> =>
    checkNamedPath({ imageGiven: layerGiven, imagePath: path, field, name }, allow);
  const pending: HeaderRef[] = [...facts.refs];
  let extents = 0;
  while (pending.length) {
    const r = pending.shift()!;
    const real = await check(r.field, r.name);
    if (r.kind === 'data-file') names.dataFile = real;
    else if (r.kind === 'backing') {
      if (names.backing) throw bad(`names two parents (${names.backing.name}, ${r.name})`);
      names.backing = { name: r.name, real, format: r.format };
    } else if (!names.extents.has(real)) {
      if (++extents > MAX_EXTENTS) throw bad(`names more than ${MAX_EXTENTS} extents`);
      names.extents.add(real);
      // a sparse extent can carry a descriptor of its own, which qemu follows in turn
      const nested = await vmdkNestedRefs(real).catch((e: Error) => {
        throw bad(`cannot read ${r.field} (${e.message})`);
      });
      pending.push(
        ...nested.filter((n) => n.kind === 'extent' || n.kind === 'backing').map((n) => ({ ...n, field: `${r.field}: ${n.field}` })),
      );
    }
  }
  return { names, detected: facts.detected, parsedAs: facts.parsedAs };
}
