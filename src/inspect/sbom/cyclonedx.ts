// CycloneDX 1.6 JSON of an inspection report, through @cyclonedx/cyclonedx-library (model and
// serialisation), imported when called: the library stays out of a plain jinspect start (the
// bundle carries it as vendor-cyclonedx.mjs).
import type * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import type * as Models from '@cyclonedx/cyclonedx-library/Models';
import type * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import type * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { sbomOses, type SbomOs } from './components.js';
import type { SbomInput } from './input.js';
import type { SpdxLists } from './license.js';

interface Cdx {
  Models: typeof Models;
  Enums: typeof Enums;
  Serialize: typeof Serialize;
  Spec: typeof Spec;
}
type Component = Models.Component;

/** The bundle's vendor-cyclonedx-*.mjs wrap each CommonJS entry point as its default export. */
const unwrap = <T>(m: T): T => (m as T & { default?: T }).default ?? m;

// the entry points it uses, not the root: that one also loads the schema files' paths
async function loadCdx(): Promise<Cdx> {
  const [m, e, se, sp] = await Promise.all([
    import('@cyclonedx/cyclonedx-library/Models'),
    import('@cyclonedx/cyclonedx-library/Enums'),
    import('@cyclonedx/cyclonedx-library/Serialize'),
    import('@cyclonedx/cyclonedx-library/Spec'),
  ]);
  return { Models: unwrap(m), Enums: unwrap(e), Serialize: unwrap(se), Spec: unwrap(sp) };
}

function osComponent({ Models: { Component, Property }, Enums: { ComponentType } }: Cdx, o: SbomOs): Component {
  const c = new Component(ComponentType.OperatingSystem, o.name, {
    bomRef: o.ref,
    version: o.version,
    cpe: o.cpe,
    description: o.os.product_name,
  });
  const props: [string, string | undefined][] = [
    ['joot:os:root', o.os.root],
    ['joot:os:arch', o.os.arch],
    ['joot:os:hostname', o.os.hostname],
    ['joot:os:osinfo', o.os.osinfo],
    ['joot:os:package_format', o.os.package_format],
    ['joot:os:applications_error', o.os.applications_error],
  ];
  for (const [k, v] of props) if (v) c.properties.add(new Property(k, v));
  return c;
}

function packageComponents(
  { Models: { Component, Property, SpdxLicense, LicenseExpression, NamedLicense }, Enums: { ComponentType } }: Cdx,
  o: SbomOs,
): Component[] {
  return o.packages.map((p) => {
    const c = new Component(ComponentType.Application, p.name, {
      bomRef: p.ref,
      version: p.version,
      purl: p.purl,
      publisher: p.app.publisher,
      description: p.app.summary ?? p.app.description?.split('\n', 1)[0],
    });
    // as a property (syft's way too): the library models no pedigree to name it an ancestor
    if (p.app.source_package) c.properties.add(new Property('joot:package:source', p.app.source_package));
    if (p.app.url) c.properties.add(new Property('joot:package:url', p.app.url));
    if (p.app.install_path) c.properties.add(new Property('joot:package:install_path', p.app.install_path));
    const l = p.license;
    if (l)
      c.licenses.add(
        'id' in l ? new SpdxLicense(l.id) : 'expression' in l ? new LicenseExpression(l.expression) : new NamedLicense(l.name),
      );
    return c;
  });
}

/** The CycloneDX 1.6 JSON text: the first OS is the metadata component, the others components; each depends on its packages. */
export async function toCycloneDx(input: SbomInput, spdx: SpdxLists): Promise<string> {
  const cdx = await loadCdx();
  const { Bom, Component, Metadata, Property, Tools } = cdx.Models;
  const { ComponentType } = cdx.Enums;
  const oses = sbomOses(input.report.operatingsystems, spdx);
  const tool = new Component(ComponentType.Application, input.tool.name, { version: input.tool.version });
  const metadata = new Metadata({ timestamp: input.created, tools: new Tools() });
  metadata.tools.components.add(tool);
  for (const img of input.images) {
    metadata.properties.add(new Property('joot:image:name', img.name));
    metadata.properties.add(new Property('joot:image:format', img.format));
    metadata.properties.add(new Property('joot:image:virtual_size', String(img.virtualSize)));
    if (img.sha256) metadata.properties.add(new Property('joot:image:sha256', img.sha256));
  }
  const bom = new Bom({ metadata, serialNumber: `urn:uuid:${input.uuid}` });
  oses.forEach((o, i) => {
    const osc = osComponent(cdx, o);
    if (i === 0) bom.metadata.component = osc;
    else bom.components.add(osc);
    for (const c of packageComponents(cdx, o)) {
      bom.components.add(c);
      osc.dependencies.add(c.bomRef);
    }
  });
  const serializer = new cdx.Serialize.JsonSerializer(new cdx.Serialize.JSON.Normalize.Factory(cdx.Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: false, space: 2 });
}
