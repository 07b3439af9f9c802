import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { operatingSystemsOfXml } from './jinspect-helpers.js';
it('diff', () => {
  for (const img of (process.env.IMGS ?? 'debian-gpt.qcow2').split(',')) {
    const vi = operatingSystemsOfXml(readFileSync(`/tmp/jt/vi/${img}.xml`, 'utf8').length ? readFileSync(`/tmp/jt/vi/${img}.xml`, 'utf8') : readFileSync(`/tmp/jt/${img}.vi.xml`, 'utf8'));
    const j = JSON.parse(readFileSync(`/tmp/jt/${img}.json`, 'utf8')).operatingsystems;
    console.log(`==== ${img}: vi ${vi.length} OS, jinspect ${j.length}`);
    vi.forEach((v, k) => {
      const o = j[k];
      for (const [f, val] of Object.entries(v.fields)) if (String(o[f]) !== val) console.log(`${f}: vi=${JSON.stringify(val)} j=${JSON.stringify(o[f])}`);
      for (const f of Object.keys(o)) if (!['mountpoints','filesystems','applications','warnings'].includes(f) && !(f in v.fields)) console.log(`${f}: vi absent, j=${JSON.stringify(o[f])}`);
      console.log('mp vi', JSON.stringify(v.mountpoints), 'j', JSON.stringify(Object.entries(o.mountpoints)));
      console.log('fs vi', JSON.stringify(v.filesystems)); console.log('fs j ', JSON.stringify(o.filesystems));
      const va = v.applications ?? []; const ja = o.applications ?? [];
      console.log(`apps vi ${va.length} j ${ja.length}`);
      const names = new Set([...va.map((a) => a.name), ...ja.map((a: any) => a.name)]);
      const counts: Record<string, number> = {};
      for (const n of names) {
        const a = va.find((x) => x.name === n); const b = ja.find((x: any) => x.name === n);
        if (!a || !b) { console.log(`only in ${a ? 'vi' : 'j'}: ${n}`); continue; }
        for (const f of new Set([...Object.keys(a), ...Object.keys(b)])) {
          let x = a[f], y = b[f];
          if (f === 'description') { x = String(x ?? '').replace(/\s+/g, ' ').trim(); y = String(y ?? '').replace(/\s+/g, ' ').trim(); }
          if (x !== y) { counts[f] = (counts[f] ?? 0) + 1; if (counts[f]! <= 4) console.log(`  ${n}.${f}: vi=${JSON.stringify(x)?.slice(0,200)} j=${JSON.stringify(y)?.slice(0,200)}`); }
        }
      }
      console.log('diff counts', counts);
    });
  }
});
