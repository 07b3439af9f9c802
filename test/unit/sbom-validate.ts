// Schema checks of jinspect's SBOMs, shared by the unit and integration tests. CycloneDX: the
// official 1.6 schema the library ships (strict: no unknown properties). SPDX 2.3: the
// official schema is in no npm package; these are its required fields, enums and patterns
// for what jinspect writes (from the SPDX 2.3 specification), no unknown properties; and the
// SPDX project's own validator (spdxToolErrors: tools-python, installed by setup). In both,
// every license expression parses with spdx-expression-parse, over the official SPDX license
// and exception lists (which the schemas leave as free text).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import parseSpdxExpression from 'spdx-expression-parse';
import * as Validation from '@cyclonedx/cyclonedx-library/Validation';
import { Version } from '@cyclonedx/cyclonedx-library/Spec';

/** The expressions of `all` that are no SPDX license expression, each with the parser's reason. */
function badExpressions(all: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const e of all) {
    try {
      parseSpdxExpression(e);
    } catch (x) {
      bad.push(`${e}: ${x instanceof Error ? x.message : String(x)}`);
    }
  }
  return bad;
}

/** null when the text is a valid CycloneDX 1.6 document, else the schema's complaints (or the bad license expressions). */
export async function cycloneDxErrors(text: string): Promise<unknown> {
  const schema = await new Validation.JsonStrictValidator(Version.v1dot6).validate(text);
  if (schema !== null) return schema;
  const doc = JSON.parse(text) as { components?: { licenses?: { expression?: string }[] }[] };
  const expressions = (doc.components ?? []).flatMap((c) =>
    (c.licenses ?? []).flatMap((l) => (l.expression === undefined ? [] : [l.expression])),
  );
  const bad = badExpressions(expressions);
  return bad.length ? { licenseExpressions: bad } : null;
}

const SPDX_TIME = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$';

const SPDX_2_3 = {
  type: 'object',
  required: ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo'],
  additionalProperties: false,
  properties: {
    spdxVersion: { const: 'SPDX-2.3' },
    dataLicense: { const: 'CC0-1.0' },
    SPDXID: { const: 'SPDXRef-DOCUMENT' },
    name: { type: 'string', minLength: 1 },
    // an absolute URI without a fragment
    documentNamespace: { type: 'string', pattern: '^[a-z][a-z0-9+.-]*://[^#\\s]+$' },
    creationInfo: {
      type: 'object',
      required: ['created', 'creators'],
      additionalProperties: false,
      properties: {
        created: { type: 'string', pattern: SPDX_TIME },
        creators: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(Tool|Person|Organization): .+' } },
      },
    },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'name', 'downloadLocation'],
        additionalProperties: false,
        properties: {
          SPDXID: { type: 'string', pattern: '^SPDXRef-[a-zA-Z0-9.-]+$' },
          name: { type: 'string', minLength: 1 },
          versionInfo: { type: 'string' },
          downloadLocation: { type: 'string', minLength: 1 },
          filesAnalyzed: { type: 'boolean' },
          supplier: { type: 'string', pattern: '^(NOASSERTION|(Person|Organization): .*)$' },
          homepage: { type: 'string' },
          sourceInfo: { type: 'string' },
          summary: { type: 'string' },
          description: { type: 'string' },
          comment: { type: 'string' },
          checksums: {
            type: 'array',
            items: {
              type: 'object',
              required: ['algorithm', 'checksumValue'],
              additionalProperties: false,
              properties: {
                algorithm: { enum: ['SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'SHA3-256', 'SHA3-384', 'SHA3-512', 'MD5'] },
                checksumValue: { type: 'string', pattern: '^[0-9a-f]+$' },
              },
            },
          },
          // a license expression (ids, LicenseRef-…, AND/OR/WITH, parentheses, +) or NONE/NOASSERTION
          licenseDeclared: { type: 'string', pattern: '^[A-Za-z0-9.:+() -]+$' },
          licenseComments: { type: 'string' },
          primaryPackagePurpose: {
            enum: [
              'APPLICATION',
              'FRAMEWORK',
              'LIBRARY',
              'CONTAINER',
              'OPERATING_SYSTEM',
              'DEVICE',
              'FIRMWARE',
              'SOURCE',
              'ARCHIVE',
              'FILE',
              'INSTALL',
              'OTHER',
            ],
          },
          externalRefs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['referenceCategory', 'referenceType', 'referenceLocator'],
              additionalProperties: false,
              properties: {
                referenceCategory: { enum: ['SECURITY', 'PACKAGE-MANAGER', 'PACKAGE_MANAGER', 'PERSISTENT-ID', 'PERSISTENT_ID', 'OTHER'] },
                referenceType: { type: 'string' },
                referenceLocator: { type: 'string', pattern: '^\\S+$' },
                comment: { type: 'string' },
              },
            },
          },
        },
      },
    },
    relationships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spdxElementId', 'relatedSpdxElement', 'relationshipType'],
        additionalProperties: false,
        properties: {
          spdxElementId: { type: 'string' },
          relatedSpdxElement: { type: 'string' },
          relationshipType: { enum: ['DESCRIBES', 'CONTAINS', 'DEPENDS_ON', 'GENERATED_FROM', 'OTHER'] },
        },
      },
    },
  },
} as const;

let spdxValidator: ReturnType<Ajv['compile']> | undefined;

/** null when the document passes, else the complaints; also every relationship's ends are elements of the document, every licenseDeclared an SPDX expression. */
export function spdxErrors(doc: unknown): unknown {
  spdxValidator ??= new Ajv({ allErrors: true, strict: true }).compile(SPDX_2_3);
  if (!spdxValidator(doc)) return spdxValidator.errors;
  const d = doc as { packages?: { SPDXID: string }[]; relationships?: { spdxElementId: string; relatedSpdxElement: string }[] };
  const ids = new Set(['SPDXRef-DOCUMENT', ...(d.packages ?? []).map((p) => p.SPDXID)]);
  if (ids.size !== (d.packages?.length ?? 0) + 1) return 'SPDXIDs are not unique';
  const dangling = (d.relationships ?? []).filter((r) => !ids.has(r.spdxElementId) || !ids.has(r.relatedSpdxElement));
  if (dangling.length) return { dangling };
  const declared = (d.packages ?? []).flatMap((p) => {
    const l = (p as { licenseDeclared?: string }).licenseDeclared;
    return l === undefined || l === 'NOASSERTION' || l === 'NONE' ? [] : [l];
  });
  const bad = badExpressions(declared);
  return bad.length ? { licenseDeclared: bad } : null;
}

/** /usr/bin/python3: Debian's, whose modules hold python3-spdx-tools (a pyenv or venv python3 in PATH may not) */
const PYTHON = '/usr/bin/python3';
const SPDX_VALIDATE = fileURLToPath(new URL('spdx-validate.py', import.meta.url));

/**
 * null when every document passes the SPDX project's validator (pyspdxtools's parser and
 * validation, SPDX 2.3: required fields, the license and exception lists, purls, relationships),
 * else its complaints, one per line. scripts/setup-spdx-tools.sh installs it.
 */
export function spdxToolErrors(...docs: unknown[]): string[] | null {
  const dir = mkdtempSync(join(tmpdir(), 'spdx-validate-'));
  try {
    const files = docs.map((d, i) => {
      const f = join(dir, `doc${i}.spdx.json`);
      writeFileSync(f, typeof d === 'string' ? d : JSON.stringify(d));
      return f;
    });
    const r = spawnSync(PYTHON, [SPDX_VALIDATE, ...files], { encoding: 'utf8' });
    if (r.status === 0) return null;
    if (r.status !== 1) throw new Error(`the SPDX validator did not run (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}`);
    return r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(`${dir}/`, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
