// Splitting argv words into commands on lone ':' words — guestfish's command-line syntax.
// No imports: the lean --remote client uses it too.

/** Split words on lone ':' into commands; empty commands (`: :`) are dropped. */
export function splitCommands(words: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const w of words) {
    if (w === ':') {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(w);
  }
  if (cur.length) out.push(cur);
  return out;
}
