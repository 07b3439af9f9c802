// Every operation record of the library, in jfish's command-list order.
import { records as block } from './block.js';
import { records as blockdev } from './blockdev.js';
import { records as blockSpace } from './block-space.js';
import { records as devices } from './devices.js';
import { records as editing } from './editing.js';
import { records as files } from './files.js';
import { records as filesExtra } from './files-extra.js';
import { records as filesystems } from './filesystems.js';
import { records as fsadmin } from './fsadmin.js';
import { records as fsExtra } from './fs-extra.js';
import { records as gfcompat } from './gfcompat.js';
import { records as hivex } from './hivex.js';
import { records as images } from './images.js';
import { records as lvm } from './lvm.js';
import { records as lvmExtra } from './lvm-extra.js';
import { records as mount } from './mount.js';
import { records as nodes } from './nodes.js';
import { records as partitions } from './partitions.js';
import { records as partitionsExtra } from './partitions-extra.js';
import { records as search } from './search.js';
import { records as selinux } from './selinux.js';
import { records as tar } from './tar.js';
import { records as transfer } from './transfer.js';
import { records as volumes } from './volumes.js';
import { records as xattrs } from './xattrs.js';

export const opRecords = [
  ...devices,
  ...partitions,
  ...partitionsExtra,
  ...blockdev,
  ...block,
  ...blockSpace,
  ...volumes,
  ...images,
  ...filesystems,
  ...fsadmin,
  ...fsExtra,
  ...gfcompat,
  ...lvm,
  ...lvmExtra,
  ...mount,
  ...files,
  ...filesExtra,
  ...nodes,
  ...xattrs,
  ...search,
  ...selinux,
  ...transfer,
  ...tar,
  ...editing,
  ...hivex,
] as const;
