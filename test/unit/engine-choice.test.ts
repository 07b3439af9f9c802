// Which engine a session uses, and how LUKS keys are given (--key, as virt-inspector takes them).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseEngine, parseEngineName } from '../../src/appliance/userspace-engine.js';
import { keyFor, parseKeySpec } from '../../src/disk/keys.js';
import { defaultConfig } from '../../src/tools/config.js';
import { engineChoice, engineOptions } from '../../src/tools/engine-options.js';

describe('chooseEngine', () => {
  const saved = process.env.JOOT_ENGINE;
  afterEach(() => {
    if (saved === undefined) delete process.env.JOOT_ENGINE;
    else process.env.JOOT_ENGINE = saved;
  });

  it('the caller first, then $JOOT_ENGINE, then kernel for root and userspace for everyone else', () => {
    delete process.env.JOOT_ENGINE;
    expect(chooseEngine(undefined, 0)).toBe('kernel');
    expect(chooseEngine(undefined, 1000)).toBe('userspace');
    expect(chooseEngine('userspace', 0)).toBe('userspace');
    process.env.JOOT_ENGINE = 'userspace';
    expect(chooseEngine(undefined, 0)).toBe('userspace');
    expect(chooseEngine('kernel', 1000)).toBe('kernel');
    process.env.JOOT_ENGINE = 'auto';
    expect(chooseEngine(undefined, 1000)).toBe('userspace');
    process.env.JOOT_ENGINE = 'fast';
    expect(() => chooseEngine(undefined, 0)).toThrow("JOOT_ENGINE: unknown engine 'fast' (expected userspace or kernel)");
  });

  it('names: one line for anything else', () => {
    expect(parseEngineName('kernel', '--engine')).toBe('kernel');
    expect(() => parseEngineName('Kernel', '--engine')).toThrow("--engine: unknown engine 'Kernel' (expected userspace or kernel)");
  });
});

describe('engineChoice: the engine a tool will use, and why (-v)', () => {
  const saved = process.env.JOOT_ENGINE;
  afterEach(() => {
    if (saved === undefined) delete process.env.JOOT_ENGINE;
    else process.env.JOOT_ENGINE = saved;
  });
  const args = { keys: [], keysFromStdin: false };
  const root = process.geteuid?.() === 0;

  it('read-only work (a string says why) gets the userspace engine unless someone chose', () => {
    delete process.env.JOOT_ENGINE;
    const config = defaultConfig();
    const why = 'every command of the script only reads';
    expect(engineChoice(config, args, why)).toEqual({ engine: 'userspace', why });
    expect(engineOptions(config, args, why).engine).toBe('userspace');
    expect(engineChoice(config, { ...args, engine: 'kernel' }, why)).toEqual({ engine: 'kernel', why: '--engine' });
    expect(engineChoice({ ...config, engine: 'kernel' }, args, why)).toEqual({ engine: 'kernel', why: "the configuration's engine" });
    process.env.JOOT_ENGINE = 'kernel';
    expect(engineChoice(config, args, why)).toEqual({ engine: 'kernel', why: '$JOOT_ENGINE' });
    expect(engineOptions(config, args, why).engine).toBeUndefined(); // the session reads $JOOT_ENGINE
  });

  it('otherwise the default by privilege, with the reason the work is not read-only', () => {
    delete process.env.JOOT_ENGINE;
    const config = defaultConfig();
    expect(engineOptions(config, args, false).engine).toBeUndefined();
    expect(engineChoice(config, args, false, 'write writes')).toEqual(
      root
        ? { engine: 'kernel', why: 'the default for root: write writes' }
        : { engine: 'userspace', why: 'the default when not root: write writes' },
    );
  });
});

describe('--key', () => {
  it('DEVICE:key:PASSPHRASE keeps every byte after the second colon (colons too)', () => {
    expect(parseKeySpec('/dev/sda2:key:a:b c')).toEqual({ selector: '/dev/sda2', key: Buffer.from('a:b c') });
    expect(parseKeySpec('/dev/sda2:key:')).toEqual({ selector: '/dev/sda2', key: Buffer.alloc(0) });
  });

  it('DEVICE:file:FILE reads the whole file as the key; a missing file is one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'joot-key-'));
    const f = join(dir, 'k');
    writeFileSync(f, Buffer.from([0, 1, 2, 10]));
    expect(parseKeySpec(`0b1f-uuid:file:${f}`).key).toEqual(Buffer.from([0, 1, 2, 10]));
    expect(() => parseKeySpec(`/dev/sda1:file:${dir}/none`)).toThrow(`--key /dev/sda1:file:${dir}/none: ENOENT`);
  });

  it('anything else is refused without echoing the passphrase', () => {
    for (const bad of ['/dev/sda1', '/dev/sda1:secret', ':key:x', '/dev/sda1:clevis:x']) {
      expect(() => parseKeySpec(bad)).toThrow(/expected DEVICE:key:PASSPHRASE or DEVICE:file:FILE/);
    }
    try {
      parseKeySpec('/dev/sda1:pass:hunter2');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('a key is found by device name or by LUKS UUID (any case)', () => {
    const keys = [parseKeySpec('/dev/sda2:key:one'), parseKeySpec('ABCD-1234:key:two')];
    expect(keyFor(keys, '/dev/sda2', 'x')?.toString()).toBe('one');
    expect(keyFor(keys, '/dev/sdb1', 'abcd-1234')?.toString()).toBe('two');
    expect(keyFor(keys, '/dev/sdb1', 'other')).toBeUndefined();
  });
});
