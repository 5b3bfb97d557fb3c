// One flat config for the whole repo. `process.env` is read only in each app's env.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PRISMA_CLIENT = {
  selector: "NewExpression[callee.name='PrismaClient']",
  message: 'Only packages/db makes a PrismaClient: use createPrismaClient.',
};
const PRISMA_AUDIT_WRITE = {
  selector:
    "MemberExpression[object.property.name='auditEvent'][property.name=/^(create|createMany|update|updateMany|upsert|delete|deleteMany)$/]",
  message: 'Only the gateway audit writer writes audit events.',
};
/** SQL that writes audit rows, in a string or a template: only apps/gateway/src/audit/audit-writer.ts has it. */
const AUDIT_WRITE_SQL = String.raw`/(INSERT\s+INTO|UPDATE)\s+"?audit_events\b|portcullis_audit_insert/i`;
const AUDIT_DELETE_SQL = String.raw`/(DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+"?audit_events\b/i`;
const AUDIT_SQL_WRITE = [
  `Literal[value=${AUDIT_WRITE_SQL}]`,
  `TemplateElement[value.raw=${AUDIT_WRITE_SQL}]`,
].map((selector) => ({
  selector,
  message: 'Only the gateway audit writer (apps/gateway/src/audit/audit-writer.ts) writes audit events.',
}));
const AUDIT_SQL_DELETE = [
  `Literal[value=${AUDIT_DELETE_SQL}]`,
  `TemplateElement[value.raw=${AUDIT_DELETE_SQL}]`,
].map((selector) => ({
  selector,
  message: 'Only audit retention (apps/gateway/src/ops/audit-retention.ts) deletes audit events.',
}));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/.next/**',
      '**/dist/**',
      '**/generated/**',
      '**/.data/**',
      'e2e/artifacts/**',
      'test-results/**',
      '**/next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: "Read env through the app's env.ts schema." },
      ],
    },
  },
  // The architecture's walls (README "Architecture"), enforced rather than remembered.
  {
    files: ['packages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/apps/**',
                '**/dashboard/src/**',
                '**/gateway/src/**',
                '**/twikit/src/**',
                '@portcullis/dashboard',
                '@portcullis/gateway',
                '@portcullis/twikit',
              ],
              message: 'Packages never import apps.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/policy/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'net',
                'http',
                'https',
                'child_process',
                'pg',
                'ioredis',
                '@portcullis/db/*',
                '@portcullis/counters/*',
              ],
              message: 'packages/policy is pure: no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/dashboard/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/apps/gateway/**',
                '**/gateway/src/**',
                '@portcullis/gateway',
                '@portcullis/gateway/*',
              ],
              message: 'The dashboard and the gateway never import each other.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/gateway/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/apps/dashboard/**',
                '**/dashboard/src/**',
                '@portcullis/dashboard',
                '@portcullis/dashboard/*',
              ],
              message: 'The dashboard and the gateway never import each other.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/gateway/src/calls/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/apps/dashboard/**',
                '**/dashboard/src/**',
                '@portcullis/dashboard',
                '@portcullis/dashboard/*',
              ],
              message: 'The dashboard and the gateway never import each other.',
            },
            {
              group: ['../sessions/*'],
              message:
                'calls/ decides and records; it does not reach into sessions/ (shared types live in src/errors.ts and src/agent-request.ts).',
            },
          ],
        },
      ],
    },
  },
  // Only packages/db makes a PrismaClient (its client.ts); everyone else calls createPrismaClient.
  // Audit rows are inserted and updated by the gateway's audit writer alone, and deleted by the
  // retention job alone (docs/architecture.md).
  {
    files: ['apps/**/*.{ts,tsx}', 'packages/**/*.ts'],
    ignores: ['packages/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        PRISMA_CLIENT,
        PRISMA_AUDIT_WRITE,
        ...AUDIT_SQL_WRITE,
        ...AUDIT_SQL_DELETE,
      ],
    },
  },
  {
    files: ['apps/gateway/src/audit/audit-writer.ts'],
    rules: { 'no-restricted-syntax': ['error', PRISMA_CLIENT, PRISMA_AUDIT_WRITE, ...AUDIT_SQL_DELETE] },
  },
  {
    files: ['apps/gateway/src/ops/audit-retention.ts'],
    rules: { 'no-restricted-syntax': ['error', PRISMA_CLIENT, PRISMA_AUDIT_WRITE, ...AUDIT_SQL_WRITE] },
  },
  {
    // Tests and benchmarks seed audit rows and make their own clients for other databases.
    files: ['**/test/**', '**/*.test.ts', '**/bench/**', '**/scripts/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: [
      '**/env.ts',
      'scripts/**',
      '**/*.test.ts',
      '**/*.config.*',
      'e2e/**',
      'packages/db/src/migrate/**',
      'packages/db/src/embedded-postgres.ts',
      'packages/db/src/test-database.ts',
      '**/bench/**',
      '**/test/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
