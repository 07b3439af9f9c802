// The userspace partition reader against the kernel engine itself: a Session launched on the
// same image (loop device, partx -a, the kernel's partition devices) lists exactly the
// PartitionInfo objects that toPartitionInfos makes from the table read in userspace, and
// refuses the same corrupt tables with the same message.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { FileSource } from '../../src/disk/source.js';
import { readPartitionTable, toPartitionInfos } from '../../src/disk/volumes/partitions.js';
import { CAN_RUN, Harness } from './session-helpers.js';

const h = new Harness('disk-partitions-diff');

async function userspace(file: string) {
  const src = await FileSource.open(file);
  try {
    const t = await readPartitionTable(src);
    return t ? toPartitionInfos(t, 0) : [];
  } finally {
    await src.close();
  }
}

describe.skipIf(!CAN_RUN)('partition tables: userspace reader = kernel engine', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  for (const name of ['mbr.raw', 'gpt.raw', 'lvm.raw', 'three.raw', 'win11.raw', 'debian-usr.raw', 'multiboot.raw', 'dirty.raw'] as const) {
    it(name, async () => {
      const file = await h.image(name);
      const s = await h.open([file]);
      expect(await userspace(file)).toEqual(s.partitions());
    });
  }

  it('corrupt-mbr.raw: the same refusal, word for word', async () => {
    const file = await h.image('corrupt-mbr.raw');
    const kernel = await h.open([file]).then(
      () => undefined,
      (e: unknown) => e,
    );
    const mine = await userspace(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(kernel).toBeInstanceOf(JootError);
    expect(mine).toBeInstanceOf(JootError);
    expect((mine as JootError).code).toBe((kernel as JootError).code);
    expect((mine as JootError).message).toBe((kernel as JootError).message);
  });
});
