// guestfish's printing of structs, shared by every command that returns one or a list.

export type StructFields = [string, string | number | bigint][];

/**
 * A field's text. An integer is written exactly: String(2 ** 60) is "1152921504606847000",
 * the digits of the double's shortest form, not of its value, 1152921504606846976.
 */
export function fieldText(v: string | number | bigint): string {
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v).toString() : String(v);
}

/** A list of structs: `[i] = {`, indented `field: value`, `}`. */
export function structList(records: StructFields[]): string[] {
  const out: string[] = [];
  records.forEach((fields, i) => {
    out.push(`[${i}] = {`);
    for (const [k, v] of fields) out.push(`  ${k}: ${fieldText(v)}`);
    out.push('}');
  });
  return out;
}

/** One struct: `field: value` lines. */
export function structLines(fields: StructFields): string[] {
  return fields.map(([k, v]) => `${k}: ${fieldText(v)}`);
}
