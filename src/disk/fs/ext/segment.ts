/** `n` logical blocks of a file from `lb`, stored at physical blocks from `pb`. */
export interface Segment {
  lb: number;
  pb: number;
  n: number;
}
