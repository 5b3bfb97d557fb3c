// The import walls of docs/architecture.md, checked on resolved paths by dependency-cruiser
// (`npm run lint` runs it on apps/*/src and packages/*/src). test/architecture-walls.test.ts breaks
// each rule on purpose to show it still fires. The walls that are not about imports (who makes a
// PrismaClient, who writes audit_events) are eslint rules (eslint.config.mjs).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: every module can be read after the ones it imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      comment: 'Packages never import apps.',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'dashboard-never-imports-gateway',
      severity: 'error',
      comment: 'The dashboard and the gateway never import each other.',
      from: { path: '^apps/dashboard/' },
      to: { path: '^apps/gateway/' },
    },
    {
      name: 'gateway-never-imports-dashboard',
      severity: 'error',
      comment: 'The dashboard and the gateway never import each other.',
      from: { path: '^apps/gateway/' },
      to: { path: '^apps/dashboard/' },
    },
    {
      name: 'policy-is-pure',
      severity: 'error',
      comment:
        'packages/policy is pure: no I/O (no Node built-ins, no database or Redis client, no other package).',
      from: { path: '^packages/policy/' },
      to: {
        pathNot: ['^packages/policy/'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['/generated/', '/\\.next/', '/node_modules/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
