// The library of guest operations: one typed function per operation record, on a launched
// Session (see README, "The library"). `ops.cat(session, '/etc/hostname')`.
import { library } from './library.js';
import { opRecords } from './records/index.js';

export const ops = library(opRecords);
export { opRecords } from './records/index.js';
export { library, libraryContext, camelName, type Library, type LibraryFn } from './library.js';
export type { Op, OpContext, OpDef, OpTest, Returns, ReturnValue, StructFields } from './op.js';
export { BufferWriter } from '../core/output.js';
