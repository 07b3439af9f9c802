// jfish's entry point. `jfish --remote …` is a client of a `jfish --listen` server and must
// start fast: it loads remote-client.ts (node builtins only) and none of the session code,
// yargs or execa. Everything else loads shell.ts, the real jfish.
import { startupMark } from '../../core/startup-trace.js';

startupMark('entry evaluated');
const argv = process.argv.slice(2);

/** Options that take the next word as their value (so it is not the first command). */
const VALUED = new Set(['-a', '--add', '-m', '--mount', '-f', '--file']);

/** Is --remote / --remote=PID among the leading options? */
export function wantsRemote(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const a = words[i]!;
    if (a === '--') return false;
    if (a === '--remote' || a.startsWith('--remote=')) return true;
    if (!a.startsWith('-') || a === '-') return false;
    if (VALUED.has(a)) i++;
  }
  return false;
}

// No top-level await: the same entry is bundled as ESM (dist/bundle/jfish.mjs) and as one
// CommonJS script that bin/jfish loads with V8's code cache (scripts/bundle.mjs).
async function jfish(): Promise<void> {
  if (wantsRemote(argv)) {
    const { remoteMain } = await import('./remote-client.js');
    process.exit(await remoteMain(argv));
  } else {
    const [{ runCli }, { main }] = await Promise.all([import('../cli.js'), import('./shell.js')]);
    startupMark('shell loaded');
    await runCli('jfish', main);
  }
}

jfish().catch((e: unknown) => {
  // only a failure to load the code itself gets here (runCli reports everything else)
  process.stderr.write(`jfish: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
