// guestfish's printing of structs, shared by every command that returns one or a list.

export type StructFields = [string, string | number][];

/** A list of structs: `[i] = {`, indented `field: value`, `}`. */
export function structList(records: StructFields[]): string[] {
  const out: string[] = [];
  records.forEach((fields, i) => {
    out.push(`[${i}] = {`);
    for (const [k, v] of fields) out.push(`  ${k}: ${v}`);
    out.push('}');
  });
  return out;
}

/** One struct: `field: value` lines. */
export function structLines(fields: StructFields): string[] {
  return fields.map(([k, v]) => `${k}: ${v}`);
}
