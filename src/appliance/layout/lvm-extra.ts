// guestfish's LVM changes beyond create and remove: lvresize, lvrename, vgrename, pvresize,
// lvm-remove-all. Same isolation as lvm-create.ts (scoped to the session's devices, nothing
// activated); the session maps the changed LVs again afterwards. Anything mounted on the
// volumes concerned is refused first: the session's mappings are keyed by these names.
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import type { LayoutEditor } from './editor.js';
import { storedVgName } from '../../disk/volumes/lvm/vg-names.js';
import { checkLvmName, lvm } from './lvm-create.js';
import { vgNameTaken, vgTarget } from './vg-target.js';

/** "/dev/VG/LV" or "VG/LV" → its parts (names checked as LVM checks them; VG may be a VG@DEV). */
export function splitLvName(name: string): { vg: string; lv: string } {
  const m = /^(?:\/dev\/)?([^/]+)\/([^/]+)$/.exec(name);
  if (!m) throw new JootError('EINVAL', `${name}: not a logical volume name (/dev/VG/LV)`);
  checkLvmName('VG', storedVgName(m[1]!));
  checkLvmName('LV', m[2]!);
  return { vg: m[1]!, lv: m[2]! };
}

export class LvmExtra {
  constructor(private readonly editor: LayoutEditor) {}

  private get access() {
    return this.editor.access;
  }

  private lvOf(name: string) {
    const lv = this.access.lvs().find((l) => l.name === name || `${l.vg}/${l.lv}` === name);
    if (!lv) throw new JootError('ENOENT', `${name}: no such logical volume`);
    return lv;
  }

  /** Run `fn`, then find every volume again (also when it failed half-way). */
  private async change(fn: (scope: string[]) => Promise<void>): Promise<void> {
    await this.access.guard(async () => {
      try {
        await fn(this.access.lvmScope());
      } finally {
        await this.access.rescan({});
      }
    });
  }

  /** Resize an LV to `mbytes` MiB (guestfish lvresize: shrinking loses the data beyond). */
  async lvresize(name: string, mbytes: number): Promise<void> {
    if (!(Number.isSafeInteger(mbytes) && mbytes > 0))
      throw new JootError('EINVAL', `${mbytes}: the size is a positive number of megabytes`);
    await this.access.guard(async () => {
      const lv = this.lvOf(name);
      this.access.refuseIfInUse(lv.name);
      const vg = vgTarget(this.access, lv.vg);
      await this.change(() => lvm('lvresize', vg.scope, ['--yes', '--force', '--size', `${mbytes}m`, `${vg.name}/${lv.lv}`], run));
    });
  }

  /** Grow an LV by `percent` of its VG's free space. */
  async lvresizeFree(name: string, percent: number): Promise<void> {
    if (!(Number.isInteger(percent) && percent > 0 && percent <= 100))
      throw new JootError('EINVAL', `${percent}: must be 1 to 100 percent`);
    await this.access.guard(async () => {
      const lv = this.lvOf(name);
      this.access.refuseIfInUse(lv.name);
      const vg = vgTarget(this.access, lv.vg);
      await this.change(() => lvm('lvresize', vg.scope, ['--yes', '--extents', `+${percent}%FREE`, `${vg.name}/${lv.lv}`], run));
    });
  }

  async lvrename(from: string, to: string): Promise<void> {
    await this.access.guard(async () => {
      const lv = this.lvOf(from);
      const dest = to.includes('/') ? splitLvName(to) : { vg: lv.vg, lv: to };
      checkLvmName('LV', dest.lv);
      if (dest.vg !== lv.vg) throw new JootError('EINVAL', `${to}: an LV cannot be renamed into another volume group (${lv.vg})`);
      this.access.refuseIfInUse(lv.name);
      const vg = vgTarget(this.access, lv.vg);
      await this.change(() => lvm('lvrename', vg.scope, ['--yes', vg.name, lv.lv, dest.lv], run));
    });
  }

  async vgrename(from: string, to: string): Promise<void> {
    checkLvmName('VG', to);
    await this.access.guard(async () => {
      const vg = this.access.vgs().find((v) => v.name === from);
      if (!vg) throw new JootError('ENOENT', `${from}: no such volume group`);
      if (vgNameTaken(this.access, to)) throw new JootError('EINVAL', `vgrename: a volume group named ${to} exists already`);
      for (const pv of vg.pvs) this.access.refuseIfInUse(pv);
      // renaming one of two namesakes is how a guest's clone gets a name of its own
      const target = vgTarget(this.access, from);
      await this.change(() => lvm('vgrename', target.scope, ['--yes', target.name, to], run));
    });
  }

  /** Fit a PV to its device's size (or to `bytes`). */
  async pvresize(device: string, bytes?: number): Promise<void> {
    if (bytes !== undefined && !(Number.isSafeInteger(bytes) && bytes > 0))
      throw new JootError('EINVAL', `${bytes}: the size is a positive number of bytes`);
    await this.access.guard(async () => {
      const t = await this.access.target(device);
      if (t.fstype !== 'LVM2_member') throw new JootError('EINVAL', `${t.canonical}: not a physical volume`);
      this.access.refuseIfInUse(t.canonical);
      const size = bytes === undefined ? [] : ['--setphysicalvolumesize', `${bytes}b`];
      await this.change((scope) => lvm('pvresize', scope, ['--yes', ...size, t.host], run));
    });
  }

  /** Remove every LV, VG and PV of the session's disks. */
  async lvmRemoveAll(): Promise<void> {
    await this.access.guard(async () => {
      const vgs = this.access.vgs();
      for (const vg of vgs) for (const pv of vg.pvs) this.access.refuseIfInUse(pv);
      const pvs: string[] = [];
      for (const host of this.access.lvmScope()) {
        const t = await this.access.target(this.access.canonicalOf(host));
        if (t.fstype === 'LVM2_member') {
          this.access.refuseIfInUse(t.canonical);
          pvs.push(t.host);
        }
      }
      const targets = vgs.map((vg) => vgTarget(this.access, vg.name));
      await this.change(async (scope) => {
        for (const vg of targets) await lvm('vgremove', vg.scope, ['--yes', '--force', vg.name], run);
        for (const pv of pvs) await lvm('pvremove', scope, ['--yes', '--force', '--force', pv], run);
      });
    });
  }
}
