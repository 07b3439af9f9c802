// The library API of inspection ('joot/inspect'): the report jinspect prints, mounting a guest
// as its inspected OS says (jfish -i), and the inspection operation records as functions.
export { inspect, type InspectOptions } from './index.js';
export { inspectMount, mountOrder, type InspectMountOptions } from './mount-inspected.js';
export { inspectionOps, inspectionRecords } from './records/index.js';
export { parseSections, SECTION_NAMES, type SectionName } from './sections/names.js';
export type * from './types.js';
