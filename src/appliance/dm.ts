// Device-mapper, on hosts that have it: LVs that are not one contiguous extent range
// (several linear segments, striped) get a private dm device from the table the LVM scan
// planned. Never LVM activation: the guest's VG stays unknown to the host's LVM.
import { JootError } from '../core/errors.js';
import { run, retryWhileBusy } from '../core/run.js';
import type { CleanupStack } from './cleanup.js';

export async function attachDmTable(name: string, table: string, readonly: boolean, stack: CleanupStack): Promise<string> {
  const safe = name.replace(/[^A-Za-z0-9_.+-]/g, '_');
  const args = ['create', safe, '--table', table];
  if (readonly) args.push('--readonly');
  await run('dmsetup', args, { shielded: true });
  stack.push({ kind: 'dm', name: safe }, () =>
    retryWhileBusy(() => run('dmsetup', ['remove', '--retry', safe], { shielded: true }).then(() => undefined), `dmsetup remove ${safe}`),
  );
  const device = `/dev/mapper/${safe}`;
  const r = await run('dmsetup', ['info', '-c', '--noheadings', '-o', 'name', safe]);
  if (!r.stdout.includes(safe)) throw new JootError('ECMD', `dmsetup did not create ${safe}`);
  return device;
}
