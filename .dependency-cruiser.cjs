/**
 * The rules of the house (docs/architecture.md, "Rules of the house"), checked on every
 * `npm test` by `npm run lint:deps`. Type-only imports count: a cycle of types is still a
 * cycle of concepts, and it is what makes a part impossible to move or test alone.
 */
const SUB = '^src/coordinator/([^/]+)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles anywhere in src/.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'protocol-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/protocol is shared by every part, so it imports none of them.',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'store-imports-only-protocol',
      severity: 'error',
      comment: 'src/store is the one place that touches the database; it knows only the protocol.',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(store|protocol)/' },
    },
    {
      name: 'operator-talks-only-through-the-wire',
      severity: 'error',
      comment: 'The agent runs on other machines: it never imports the coordinator or the store.',
      from: { path: '^src/operator/' },
      to: { path: '^src/(coordinator|store)/' },
    },
    {
      name: 'runtime-knows-nothing-of-the-network',
      severity: 'error',
      comment: 'The sandbox takes an EU and an input and returns an output or an error.',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(coordinator|store|operator|sim)/' },
    },
    {
      name: 'coordinator-sub-parts-meet-at-their-index',
      severity: 'error',
      comment: "Inside src/coordinator a sub-part reaches another only through that sub-part's index.ts.",
      from: { path: `${SUB}` },
      to: { path: `${SUB}`, pathNot: [`${SUB.replace('([^/]+)', '$1')}`, `${SUB}index\\.ts$`] },
    },
    {
      name: 'outside-meets-the-coordinator-at-its-faces',
      severity: 'error',
      comment: 'Outside src/coordinator, code reaches it through src/coordinator/index.ts or a sub-part index.ts.',
      from: { path: '^src/', pathNot: '^src/coordinator/' },
      to: { path: '^src/coordinator/', pathNot: ['^src/coordinator/index\\.ts$', `${SUB}index\\.ts$`] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing file.',
      from: {},
      to: { couldNotResolve: true, dependencyTypesNot: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
