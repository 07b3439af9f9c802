import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { operatingSystemsOfXml } from './jinspect-helpers.js';
it('diff', () => {
  const vi = operatingSystemsOfXml(readFileSync(`/tmp/jt/vi/debian-gpt.qcow2.xml`, 'utf8'));
  const j = JSON.parse(readFileSync(`/tmp/jt/debian-gpt.qcow2.json`, 'utf8')).operatingsystems;
  let n = 0;
  for (const a of vi[0]!.applications!) {
    const b = j[0].applications.find((x: any) => x.name === a.name);
    const x = String(a.description ?? '').split('\n').map((l) => (l === '.' ? '' : l)).join('\n');
    if (x !== b.description && n++ < 3) console.log(a.name, JSON.stringify(a.description), '\n', JSON.stringify(b.description));
    if (a.source_package !== undefined || b.source_package !== undefined) if (a.source_package !== b.source_package) console.log('SP', a.name, a.source_package, b.source_package);
  }
  console.log('exact-mismatch', n);
});
