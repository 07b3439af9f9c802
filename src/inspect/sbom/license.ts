// A package database's license text, as an SBOM carries it: an SPDX license id when it is one
// (matched case-insensitively, written as SPDX spells it), an SPDX expression when every
// license in it is an id ("GPL-2.0-or-later AND MIT", "(MIT OR Apache-2.0)", "GPL-2.0-only
// WITH Classpath-exception-2.0"), else the name as recorded ("GPLv2+", "Artistic 2.0"). What
// is given as an id or an expression parses over the SPDX license and exception lists
// (spdx-expression-parse): an unknown exception after WITH, or an exception alone, is a name.

/** An SPDX license id for a text, in SPDX's spelling; undefined when the text is none. */
export type SpdxIdLookup = (text: string) => string | undefined;

/** The SPDX license and exception lists, as an SBOM uses them. */
export interface SpdxLists {
  /** the license list's id for a text (the CycloneDX library's copy, which holds the exceptions too) */
  id: SpdxIdLookup;
  /** whether a text is an SPDX license expression (an id alone is one) over the two lists */
  valid(expression: string): boolean;
}

export type SbomLicense = { id: string } | { expression: string } | { name: string };

/** longest license text kept (a database field is guest data) */
const MAX_LICENSE = 512;

/** The SPDX lists, loaded when an SBOM is made. */
export async function loadSpdxLists(): Promise<SpdxLists> {
  const m: { fixupSpdxId?: (v: string) => string | undefined; default?: { fixupSpdxId: (v: string) => string | undefined } } = await import(
    '@cyclonedx/cyclonedx-library/SPDX'
  );
  // the bundle's vendor-cyclonedx-spdx.mjs wraps the CommonJS entry as its default export
  const fixup = m.fixupSpdxId ?? m.default?.fixupSpdxId;
  if (!fixup) throw new Error('the SPDX license list did not load');
  const { default: parse } = await import('spdx-expression-parse');
  return {
    id: (t) => fixup(t),
    valid: (e) => {
      try {
        parse(e);
        return true;
      } catch {
        return false;
      }
    },
  };
}

const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/**
 * An id also for the short names of Debian's machine-readable copyright format (DEP-5), which
 * SPDX spells otherwise: "GPL-2+" is GPL-2.0-or-later, "LGPL-2.1" LGPL-2.1-only, "Expat" MIT.
 */
function knownId(t: string, spdxId: SpdxIdLookup): string | undefined {
  const dep5 = /^(A?GPL|LGPL|GFDL)-([0-9])(\.[0-9])?(\+)?$/i.exec(t);
  if (dep5) {
    const [, family, major, minor, plus] = dep5;
    const id = spdxId(`${family}-${major}${minor ?? '.0'}-${plus ? 'or-later' : 'only'}`);
    if (id) return id;
  }
  if (/^expat$/i.test(t)) return 'MIT';
  return spdxId(t);
}

/** "ID+" (an SPDX expression's "or later" of any license) when ID is one. */
function spdxIdPlus(t: string, spdxId: SpdxIdLookup): string | undefined {
  const id = t.endsWith('+') ? spdxId(t.slice(0, -1)) : undefined;
  return id && `${id}+`;
}

/** The expression in SPDX's spelling when it is one over known ids; undefined otherwise. */
function spdxExpression(text: string, spdxId: SpdxIdLookup): string | undefined {
  const tokens = text
    .replace(/([()])/g, ' $1 ')
    .trim()
    .split(/\s+/);
  const out: string[] = [];
  let depth = 0;
  let expectOperand = true;
  let afterWith = false;
  for (const t of tokens) {
    if (t === '(') {
      if (!expectOperand) return undefined;
      depth++;
      out.push(t);
    } else if (t === ')') {
      if (expectOperand || --depth < 0) return undefined;
      out.push(t);
    } else if (OPERATORS.has(t.toUpperCase())) {
      if (expectOperand) return undefined;
      afterWith = t.toUpperCase() === 'WITH';
      out.push(t.toUpperCase());
      expectOperand = true;
    } else {
      if (!expectOperand) return undefined;
      // an exception after WITH is not on the license list: its form is checked only
      const id = afterWith ? (/^[A-Za-z0-9.-]+$/.test(t) ? t : undefined) : (knownId(t, spdxId) ?? spdxIdPlus(t, spdxId));
      if (id === undefined) return undefined;
      out.push(id);
      expectOperand = false;
      afterWith = false;
    }
  }
  if (expectOperand || depth !== 0 || out.length < 2) return undefined;
  return out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}

/** What an SBOM says of a package's recorded license; undefined when none is recorded. */
export function sbomLicense(recorded: string | undefined, spdx: SpdxLists): SbomLicense | undefined {
  const text = recorded
    ?.replace(/[\0-\x1f\x7f]+/g, ' ')
    .trim()
    .slice(0, MAX_LICENSE);
  if (!text) return undefined;
  const id = knownId(text, spdx.id);
  if (id !== undefined && spdx.valid(id)) return { id };
  const expression = spdxExpression(text, spdx.id);
  return expression !== undefined && spdx.valid(expression) ? { expression } : { name: text };
}
