// The layering of src, checked by `npm test` (npm run lint). Bottom up: core (errors, the
// command runner, output) → hive (a pure parser) → disk (the userspace engine: byte sources,
// volumes, probes; no root, no mounts) → appliance (the kernel engine and the Session) → ops (the library of guest operations) → inspect → tools. Nothing imports
// upward, no tool imports another tool, and there are no import circles.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import circle', from: {}, to: { circular: true } },
    {
      name: 'core-is-the-ground-floor',
      severity: 'error',
      comment: 'src/core imports nothing else of joot',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'hive-is-a-pure-parser',
      severity: 'error',
      comment: 'src/hive depends on core only',
      from: { path: '^src/hive/' },
      to: { path: '^src/', pathNot: '^src/(core|hive)/' },
    },
    {
      name: 'disk-below-appliance',
      severity: 'error',
      comment: 'src/disk (the userspace engine) depends on core only: it never attaches, mounts or reaches the Session',
      from: { path: '^src/disk/' },
      to: { path: '^src/', pathNot: '^src/(core|disk)/' },
    },
    {
      name: 'appliance-below-ops',
      severity: 'error',
      comment: 'the disk layers and the Session do not import the library, inspection or tools',
      from: { path: '^src/appliance/' },
      to: { path: '^src/(ops|inspect|tools)/' },
    },
    {
      name: 'ops-below-inspect',
      severity: 'error',
      comment: 'the operations library does not import inspection or tools',
      from: { path: '^src/ops/' },
      to: { path: '^src/(inspect|tools)/' },
    },
    {
      name: 'inspect-below-tools',
      severity: 'error',
      comment: 'inspection does not import the tools',
      from: { path: '^src/inspect/' },
      to: { path: '^src/tools/' },
    },
    {
      name: 'no-tool-imports-another-tool',
      severity: 'error',
      comment: 'tools are views: what two tools share lives in a lower layer (or src/tools/*.ts)',
      from: { path: '^src/tools/([^/]+)/' },
      to: { path: '^src/tools/[^/]+/', pathNot: '^src/tools/$1/' },
    },
    {
      name: 'one-command-runner',
      severity: 'error',
      comment: 'every external command starts in src/core/run.ts (one -v trace, one environment policy)',
      from: { path: '^src/', pathNot: '^src/core/run\\.ts$' },
      to: { path: '^(node:)?child_process$|(^|/)node_modules/execa/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
