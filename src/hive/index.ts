// Windows registry hives (regf): read, edit and write them, and merge/export .reg files.
export { Hive, type OpenOptions } from './hive.js';
export { HiveNode } from './node.js';
export { HiveValue, decodeMultiString, decodeString, encodeDword, encodeMultiString, encodeQword, encodeString } from './value.js';
export {
  REG_NONE,
  REG_SZ,
  REG_EXPAND_SZ,
  REG_BINARY,
  REG_DWORD,
  REG_DWORD_BIG_ENDIAN,
  REG_LINK,
  REG_MULTI_SZ,
  REG_RESOURCE_LIST,
  REG_FULL_RESOURCE_DESCRIPTOR,
  REG_RESOURCE_REQUIREMENTS_LIST,
  REG_QWORD,
  typeName,
} from './format.js';
export { upcase, lhHash } from './names.js';
export { parseReg, decodeRegText, type RegFile, type RegOp } from './reg-parse.js';
export { mergeReg, hivePath, type MergeOptions } from './reg-merge.js';
export { exportReg, exportRegText, regFileBytes } from './reg-export.js';
