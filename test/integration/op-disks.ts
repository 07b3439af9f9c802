// The operation records' test disks that are fixtures (test/fixtures/README.md) rather than
// `jfish -N` prepared kinds: an OpTest's `disk` may name one of these. Declared beside the runner
// the suite and the bench share (bench/record-test-run.ts).
export { FIXTURE_DISKS } from '../../bench/record-test-run.js';
