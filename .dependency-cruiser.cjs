// dependency-cruiser: `npm run cycles` fails on any circular import between files in src/.
// Type-only imports count too (tsPreCompilationDeps): a type cycle is still a layering cycle, and
// it becomes a runtime one the moment a value is imported along the same edge.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular import: break it by moving the shared piece into a module both sides import.',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|data|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    cache: false,
  },
};
