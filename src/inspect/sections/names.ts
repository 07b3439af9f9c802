// The optional report sections (jinspect --with LIST): off by default so the default report
// stays virt-inspector's, and nothing of theirs is read unless asked for.
import { JootError } from '../../core/errors.js';

export const SECTION_NAMES = ['kernels', 'users', 'network', 'services'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

/** "kernels,users" (or "all") → the set; an unknown name is an EINVAL naming the known ones. */
export function parseSections(list: string): Set<SectionName> {
  const out = new Set<SectionName>();
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'all') for (const n of SECTION_NAMES) out.add(n);
    else if ((SECTION_NAMES as readonly string[]).includes(name)) out.add(name as SectionName);
    else throw new JootError('EINVAL', `unknown section '${name}' (known: ${SECTION_NAMES.join(', ')}, all)`);
  }
  return out;
}
