// The README's library example, run as a user would: the ```js block after the
// `library-example` marker is written to a file inside the package (so `import 'joot'` resolves
// to this package's built library by its own name) and run with node on the Debian fixture.
// It must do what jfish does: the same tar bytes as `jfish --ro -a IMG -i tar-out /etc -`, the
// same lines as `grep '^root:' /etc/passwd`.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = process.getuid?.() === 0;
const script = join(repo, '.cache', `readme-library-${process.pid}.mjs`);
const cwd = mkdtempSync(join(tmpdir(), 'readme-library-'));

afterAll(() => {
  rmSync(script, { force: true });
  rmSync(cwd, { recursive: true, force: true });
});

function example(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- library-example');
  expect(at, 'the README has the library-example marker').toBeGreaterThan(0);
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, 'a js block follows the marker').not.toBeNull();
  return block![1]!;
}

describe.skipIf(!root)("the README's library example", () => {
  it('does what jfish -i tar-out /etc - and grep do', { timeout: 300_000 }, async () => {
    // a copy of its own, so that the leftover check is scoped to this test's paths
    const img = join(cwd, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
    const env = { JOOT_RUN_DIR: join(cwd, 'run') };
    const before = await snapshot({ paths: [cwd], runDir: env.JOOT_RUN_DIR });
    writeFileSync(script, example());
    const r = await execa(process.execPath, [script, img], { cwd, env, reject: false, encoding: 'buffer' }); // (execa strips the final newline)
    expect(r.exitCode, Buffer.from(r.stderr).toString()).toBe(0);
    const jfish = (args: string[]) =>
      execa(join(repo, 'bin/jfish'), ['--ro', '-a', img, '-i', ...args], { env, encoding: 'buffer', stripFinalNewline: false });
    const tar = (await jfish(['tar-out', '/etc', '-'])).stdout;
    expect(readFileSync(join(cwd, 'etc.tar')).equals(tar)).toBe(true);
    const grep = Buffer.from((await jfish(['grep', '^root:', '/etc/passwd'])).stdout).toString();
    expect(grep).toMatch(/^root:x:0:0:/);
    expect(Buffer.from(r.stdout).toString().startsWith(grep)).toBe(true);
    expect(Buffer.from(r.stdout).toString().slice(grep.length)).toBe('true');
    await expectNoLeftovers(before);
  });
});
