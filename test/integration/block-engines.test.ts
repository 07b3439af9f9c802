// The block and partition commands that only read (blockdev-get*, pread-device,
// download-offset of a device, the GPT identifiers, part-to-*) answer alike on both engines,
// on a read-only GPT fixture; writes are refused on the userspace engine with its reason.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import type { EngineName } from '../../src/appliance/index.js';
import { oneLine } from '../../src/core/errors.js';
import { BufferWriter } from '../../src/core/output.js';
import { makeCtx, runScript } from '../../src/tools/jfish/dispatch.js';
import { Sessions } from '../../src/tools/jfish/startup.js';
import { table } from '../../src/tools/jfish/table.js';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const root = process.getuid?.() === 0;

const READS: string[][] = [
  ['blockdev-getss', '/dev/sda'],
  ['blockdev-getsz', '/dev/sda'],
  ['blockdev-getsz', '/dev/sda1'],
  ['blockdev-getro', '/dev/sda'],
  ['pread-device', '/dev/sda', '8', '512'],
  ['download-offset', '/dev/sda', '-', '512', '8'],
  ['part-get-disk-guid', '/dev/sda'],
  ['part-get-gpt-guid', '/dev/sda', '1'],
  ['part-get-gpt-attributes', '/dev/sda', '1'],
  ['part-to-dev', '/dev/sda1'],
  ['part-to-partnum', '/dev/sda1'],
  ['device-index', '/dev/sda'],
  ['canonical-device-name', '/dev/vda1'],
  ['blockdev-flushbufs', '/dev/sda'],
  ['blockdev-rereadpt', '/dev/sda'],
];

/** Each line's output (or its error) on a read-only session of the fixture. */
async function answers(engine: EngineName, lines: string[][], image?: string): Promise<string[]> {
  const sessions = new Sessions(() => new Session({ engine }));
  sessions.addDrive(image ?? (await fixture('gpt.raw')), { format: 'raw', readonly: true });
  try {
    await sessions.session.launch();
    const out: string[] = [];
    for (const l of lines) {
      const w = new BufferWriter();
      try {
        await runScript(makeCtx({ sessions, out: w, readonly: true, table }), [[...l]]);
        out.push(w.text());
      } catch (e) {
        out.push(`error: ${oneLine(e)}`);
      }
    }
    return out;
  } finally {
    await sessions.close();
  }
}

describe('block and partition reads on both engines', () => {
  it('the userspace engine reads devices and GPT identifiers', { timeout: 60_000 }, async () => {
    const us = await answers('userspace', READS);
    expect(us[0]).toBe('512\n');
    expect(us[3]).toBe('true\n');
    expect(us[4]).toBe('EFI PART');
    expect(us[5]).toBe('EFI PART');
    expect(us[6]).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\n$/);
    expect(us[9]).toBe('/dev/sda\n');
    expect(us[10]).toBe('1\n');
    expect(us[11]).toBe('0\n');
    expect(us[12]).toBe('/dev/sda1\n');
    expect(us.filter((a) => a.startsWith('error:'))).toEqual([]);
  });

  it('writes are refused on the userspace engine, naming the device', { timeout: 60_000 }, async () => {
    const [pw, setro] = await answers('userspace', [
      ['pwrite-device', '/dev/sda', 'x', '0'],
      ['blockdev-setro', '/dev/sda'],
    ]);
    expect(pw).toMatch(/^error: \/dev\/sda: the drive is read-only \(--ro\)$/);
    expect(setro).toMatch(/^error: .*(read-only|kernel engine)/);
  });

  it.skipIf(!root)('the kernel engine answers as the userspace engine, and leaves nothing behind', { timeout: 120_000 }, async () => {
    // a copy of the image of our own, so that other tests' devices are not counted
    const dir = mkdtempSync(join(tmpdir(), 'block-engines-'));
    try {
      const image = join(dir, 'gpt.raw');
      copyFileSync(await fixture('gpt.raw'), image);
      const before = await snapshot({ paths: [dir] });
      const [us, k] = [await answers('userspace', READS, image), await answers('kernel', READS, image)];
      expect(k).toEqual(us);
      await expectNoLeftovers(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
