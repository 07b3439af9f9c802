// jinspect's "icon" (the distribution's logo as virt-inspector finds it): the same bytes on both
// engines, a real PNG file of the guest, and gone with --no-icon, the rest of the report unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/index.js';
import { CAN_RUN_JINSPECT, WHY_NOT, Workdir, jinspect, reportOf } from './jinspect-helpers.js';
import type { InspectionReport } from '../../src/inspect/types.js';

const wd = new Workdir('icon');
let image = '';
const run = async (args: string[]): Promise<InspectionReport> => reportOf(await jinspect([...args, image], { runDir: wd.runDir }));

describe.skipIf(!CAN_RUN_JINSPECT)(`jinspect icon${CAN_RUN_JINSPECT ? '' : ` (${WHY_NOT})`}`, () => {
  beforeAll(async () => {
    wd.setup();
    await fixtures('debian-gpt.qcow2');
    image = await wd.image('debian-gpt.qcow2');
  }, 300_000);
  afterAll(() => wd.teardown());

  it('the same PNG on both engines; --no-icon leaves only it out', async () => {
    const [kernel, userspace, noIcon] = await Promise.all([
      run(['--engine=kernel', '--no-applications']),
      run(['--engine=userspace', '--no-applications']),
      run(['--engine=userspace', '--no-applications', '--no-icon']),
    ]);
    const icon = kernel.operatingsystems[0]!.icon;
    expect(icon).toBeDefined();
    const png = Buffer.from(icon!, 'base64');
    expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect(userspace.operatingsystems[0]!.icon).toBe(icon);
    expect(noIcon.operatingsystems[0]!.icon).toBeUndefined();
    const { icon: _, ...rest } = userspace.operatingsystems[0]!;
    expect(noIcon.operatingsystems[0]).toEqual(rest);
  }, 300_000);
});
