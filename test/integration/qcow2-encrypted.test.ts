// qemu-encrypted qcow2 images (qemu-img create -o encrypt.format=luks|aes with a --object secret),
// and a plain qcow2 over an encrypted one: both engines refuse them with the same one line
// (EUNSUPPORTED, naming the encrypted layer and its encryption), from the header, before any
// qemu program is asked to open that layer (qemu would only ask for encrypt.key-secret, which
// joot never has): strace sees no qemu-* exec naming it, and none at all for an encrypted top. Through jfish and through the library; nothing is left behind.
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { isJootError } from '../../src/core/errors.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const isRoot = process.getuid?.() === 0;
const ENGINES = isRoot ? (['userspace', 'kernel'] as const) : (['userspace'] as const);

let dir = '';
/** image → [the layer the message names, its encryption] */
const cases: Record<string, [string, string]> = {};

/**
 * qemu-img create of an encrypted qcow2: LUKS times its PBKDF2 against the thread's CPU clock, and
 * on a busy host that measure can come back empty ("Unable to get accurate CPU usage", a failed
 * create): tried again then, three times at most.
 */
function createEncrypted(args: string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      return;
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? '');
      if (attempt >= 3 || !stderr.includes('Unable to get accurate CPU usage')) throw e;
    }
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joot-qcow2-encrypted-'));
  for (const fmt of ['luks', 'aes']) {
    const img = join(dir, `${fmt}.qcow2`);
    createEncrypted([
      'create',
      '-q',
      '-f',
      'qcow2',
      '--object',
      'secret,id=sec0,data=joot-qcow2-secret',
      '-o',
      `encrypt.format=${fmt},encrypt.key-secret=sec0${fmt === 'luks' ? ',encrypt.iter-time=10' : ''}`,
      img,
      '16M',
    ]);
    cases[img] = [img, fmt];
  }
  // an unencrypted overlay: the refusal names its encrypted backing file (-u: qemu-img would need the key to open it)
  const top = join(dir, 'over-luks.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', join(dir, 'luks.qcow2'), '-F', 'qcow2', top, '16M']);
  cases[top] = [join(dir, 'luks.qcow2'), 'luks'];
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encrypted qcow2: one line, the same on both engines, before qemu', () => {
  it('the images are what qemu-img says: encrypted (luks, aes), and the overlay over one', () => {
    for (const [img, [layer, fmt]] of Object.entries(cases)) {
      const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', '--backing-chain', img], { encoding: 'utf8' })) as {
        filename: string;
        encrypted?: boolean;
        'format-specific'?: { data?: { encrypt?: { format?: string } } };
      }[];
      const enc = info.find((l) => l.filename === layer);
      expect(enc?.encrypted, img).toBe(true);
      expect(enc?.['format-specific']?.data?.encrypt?.format, img).toBe(fmt);
    }
  });

  for (const engine of ENGINES) {
    it(`${engine} engine, jfish: "IMAGE: encrypted images are not supported (qcow2 encryption: FMT)", exit 1, qemu never asked to open the encrypted layer`, async () => {
      const before = await snapshot({ paths: [dir] });
      for (const [img, [layer, fmt]] of Object.entries(cases)) {
        const trace = join(dir, `strace-${engine}.txt`);
        const r = await execa(
          'strace',
          [
            '-f',
            '-qq',
            '-s',
            '65536',
            '-e',
            'trace=execve',
            '-o',
            trace,
            jfish,
            `--engine=${engine}`,
            '--ro',
            '-a',
            img,
            'run',
            ':',
            'list-filesystems',
          ],
          {
            reject: false,
            env: { JOOT_CONFIG: '' },
          },
        );
        expect({ out: r.stdout, err: r.stderr, code: r.exitCode }, img).toEqual({
          out: '',
          err: `jfish: run: ${layer}: encrypted images are not supported (qcow2 encryption: ${fmt})`,
          code: 1,
        });
        // every exec strace saw: the program and its arguments, as one line each
        const execs = readFileSync(trace, 'utf8')
          .split('\n')
          .filter((l) => l.includes('execve("'));
        expect(execs.some((e) => /execve\("[^"]*\/node"/.test(e))).toBe(true); // strace saw the program's execs
        const qemu = execs.filter((e) => /execve\("[^"]*\/qemu-[^/"]*"/.test(e));
        if (layer === img) expect(qemu, img).toEqual([]);
        else {
          // the kernel engine asks qemu-img about the plain top layer before it reads the next
          // layer's header: never about the encrypted one, and no daemon opens anything
          expect(
            qemu.filter((e) => e.includes(layer) || /qemu-(storage-daemon|nbd)"/.test(e)),
            img,
          ).toEqual([]);
        }
        rmSync(trace);
      }
      await expectNoLeftovers(before);
    });

    it(`${engine} engine, the library: launch rejects with EUNSUPPORTED and the same line`, async () => {
      for (const [img, [layer, fmt]] of Object.entries(cases)) {
        const s = new Session({ engine });
        s.addDrive(img, { readonly: true });
        const e = await s.launch().then(
          () => undefined,
          (err: unknown) => err,
        );
        await s.close();
        expect(isJootError(e), img).toBe(true);
        expect(e, img).toMatchObject({
          code: 'EUNSUPPORTED',
          message: `${layer}: encrypted images are not supported (qcow2 encryption: ${fmt})`,
        });
      }
    });
  }
});
