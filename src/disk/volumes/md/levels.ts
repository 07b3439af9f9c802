// md level numbers as mdadm names them.
import { LEVEL_LINEAR } from './superblock.js';

export function levelName(level: number): string {
  return level === LEVEL_LINEAR ? 'linear' : `raid${level}`;
}
