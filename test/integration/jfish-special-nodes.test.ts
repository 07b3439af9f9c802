// jfish on an image whose ext4 holds a FIFO, a character device node (c 1 3) and a block
// device node (b 8 0), as a hostile image would: every command that reads file content refuses
// them with one line naming the guest path, exit 1, promptly (a FIFO is never waited on), the
// image is unchanged and nothing is left behind. (That no open reaches the node at all is
// checked at the library level: test/unit/guest-special-nodes.test.ts.)
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = existsSync(join(repo, 'dist/bundle'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/ is not built (run npm run build)' : !root ? 'needs root (mknod, loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish special-node tests: ${skipReason}`);

describe.skipIf(skipReason !== '')('jfish refuses FIFOs and device nodes of the guest', () => {
  let dir = '';
  let img = '';
  let hash = '';
  let before: Snapshot;
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-special-'));
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'dev'), { recursive: true });
    execFileSync('mkfifo', [join(tree, 'dev', 'fifo')]);
    execFileSync('mknod', [join(tree, 'dev', 'null'), 'c', '1', '3']);
    execFileSync('mknod', [join(tree, 'dev', 'sda'), 'b', '8', '0']);
    writeFileSync(join(tree, 'ok'), 'hello\n');
    img = join(dir, 'fs.img');
    execFileSync('truncate', ['-s', '8M', img]);
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', tree, img]); // copies the nodes as nodes
    hash = sha(img);
    before = await snapshot({ paths: [dir] });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const jfish = (args: string[]) =>
    execa(join(repo, 'bin/jfish'), ['--ro', '-a', img, '-m', '/dev/sda:/', ...args], { reject: false, input: '', timeout: 60_000 });

  const commands: [string, (node: string) => string[]][] = [
    ['cat', (n) => ['cat', n]],
    ['head', (n) => ['head', n]],
    ['head-n', (n) => ['head-n', '1', n]],
    ['tail', (n) => ['tail', n]],
    ['tail-n', (n) => ['tail-n', '1', n]],
    ['checksum', (n) => ['checksum', 'sha256', n]],
    ['download', (n) => ['download', n, join(dir, 'out')]],
    ['grep', (n) => ['grep', 'x', n]],
    ['zgrep', (n) => ['zgrep', 'x', n]],
  ];

  for (const [name, argv] of commands) {
    it(`${name}: one line naming the guest node, exit 1, nothing left`, async () => {
      // download /dev/sda is the session's disk, as in guestfish (a device, not the guest's node)
      for (const node of name === 'download' ? ['/dev/fifo', '/dev/null'] : ['/dev/fifo', '/dev/null', '/dev/sda']) {
        const r = await jfish(argv(node));
        expect(r.timedOut).toBe(false);
        expect(r.exitCode).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(`jfish: ${name}: ${node}: not a regular file`);
      }
      expect(existsSync(join(dir, 'out'))).toBe(false);
      expect(sha(img)).toBe(hash);
      await expectNoLeftovers(before);
    });
  }

  it('file names the kind of node; a regular file next to them reads fine', async () => {
    const r = await jfish(['file', '/dev/fifo', ':', 'file', '/dev/null', ':', 'file', '/dev/sda', ':', 'cat', '/ok']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('fifo\ncharacter device\nblock device\nhello\n');
    expect(sha(img)).toBe(hash);
    await expectNoLeftovers(before);
  });
});
