// Stage 3, volumes: LVM. The PVs among the probed devices are scanned (never activated on the
// host), and each LV becomes a device of its own with a plan for exposing it when used.
import { warn } from '../../core/run.js';
import { hostHasDeviceMapper, type LvmScan, planLv, scanLvm, toPublic } from '../lvm.js';
import type { LvInfo, PvInfo, VgInfo } from '../types.js';
import type { BlockDev, Devices } from './devices.js';

/** LVs probed for a filesystem at launch; the others are probed when first used. */
export const MAX_LV_PROBES = 64;

export class Volumes {
  pvs: PvInfo[] = [];
  vgs: VgInfo[] = [];
  lvs: LvInfo[] = [];

  constructor(private readonly devices: Devices) {}

  /** Scan the PVs found so far and add their LVs to the devices; the LVs to probe now. */
  async open(): Promise<BlockDev[]> {
    const pvDevs = this.devices.all().filter((d) => d.probe.type === 'LVM2_member');
    if (pvDevs.length === 0) return [];
    const scan: LvmScan = await scanLvm(pvDevs.map((d) => d.host));
    const hasDm = hostHasDeviceMapper();
    ({
      pvs: this.pvs,
      vgs: this.vgs,
      lvs: this.lvs,
    } = toPublic(scan, (host) => this.devices.canonicalOf(host), { hasDeviceMapper: hasDm }));
    const lvDevs: BlockDev[] = [];
    const roPvs = new Set(pvDevs.filter((p) => p.readonly).map((p) => p.host));
    // by uuid: two VGs may share a name (then one is shown as VG@DEV, vg-names.ts)
    const roVgs = new Set(scan.pvs.filter((s) => s.device !== null && roPvs.has(s.device)).map((s) => s.vgUuid));
    const vgUuid = new Map(this.vgs.map((v) => [v.name, v.uuid]));
    for (const lv of this.lvs) {
      const uuid = vgUuid.get(lv.vg) ?? '';
      const readonly = roVgs.has(uuid);
      const dev: BlockDev = { canonical: lv.name, host: '', kind: 'lv', readonly, probe: {}, unavailable: lv.unavailable };
      this.devices.set(dev);
      if (lv.unavailable) continue;
      const plan = planLv(scan, { uuid, shown: lv.vg }, lv.lv, { hasDeviceMapper: hasDm });
      if (plan.kind === 'unavailable') {
        dev.unavailable = plan.reason;
        continue;
      }
      dev.lvPlan = plan;
      lvDevs.push(dev);
    }
    if (lvDevs.length > MAX_LV_PROBES) {
      warn(`${lvDevs.length} logical volumes: only the first ${MAX_LV_PROBES} are probed for a filesystem now, the others when used`);
    }
    return lvDevs.slice(0, MAX_LV_PROBES);
  }

  /** Forget the LVs (their host devices released): before partitions or PVs are read again. */
  async drop(): Promise<void> {
    await this.devices.dropLvs();
    this.pvs = [];
    this.vgs = [];
    this.lvs = [];
  }

  /** The VG of an LV device, if it is one. */
  vgOf(canonical: string): string | undefined {
    return this.lvs.find((l) => l.name === canonical)?.vg;
  }
}
