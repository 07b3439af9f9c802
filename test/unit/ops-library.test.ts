// The library view of the operation records: one function per record under its camelCase
// name, typed from the record (arguments, optional trailing ones, return kind).
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Session } from '../../src/appliance/session.js';
import { camelName, opRecords, ops } from '../../src/ops/index.js';

describe('ops library', () => {
  it('has one function per record, by camelCase name', () => {
    const names = opRecords.map((op) => camelName(op.name));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(typeof (ops as Record<string, unknown>)[n], n).toBe('function');
    expect(camelName('tar-out')).toBe('tarOut');
    expect(camelName('part-get-mbr-id')).toBe('partGetMbrId');
  });

  it('types each function from its record', () => {
    // the optional (named) arguments may be left out
    expectTypeOf(ops.tarOut).toBeCallableWith({} as Session, '/etc', '-');
    expectTypeOf(ops.tarOut).returns.resolves.toEqualTypeOf<Buffer>();
    expectTypeOf(ops.ls).returns.resolves.toEqualTypeOf<string[]>();
    expectTypeOf(ops.isDir).returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf(ops.cat).parameter(1).toEqualTypeOf<string>();
  });

  it('refuses an operation that needs a launched session, in one line', async () => {
    const fake = { launched: false } as unknown as Session;
    await expect(ops.ls({ session: fake } as never, '/')).rejects.toThrow(/^ls: launch the session first$/);
  });

  it('checks the arguments as jfish does, before the operation runs', async () => {
    const launched = { session: { launched: true } } as never;
    await expect(ops.cat(launched, 'etc/passwd')).rejects.toThrow(/^cat: path: 'etc\/passwd' is not an absolute path/);
    await expect(ops.mkfs(launched, 'ext4', 'sda1')).rejects.toThrow(/^mkfs: device: 'sda1' is not a device name/);
    await expect(ops.cat(launched, 42 as never)).rejects.toThrow(/is not a string/);
    await expect((ops.cat as (...a: unknown[]) => Promise<unknown>)(launched)).rejects.toThrow(/^cat: path: missing/);
  });
});
