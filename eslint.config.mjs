// One flat config for the whole repo. `process.env` is read only in each app's env.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // Only packages/db makes a PrismaClient (its client.ts); everyone else calls createPrismaClient.
    files: ['apps/**/*.{ts,tsx}', 'packages/**/*.ts'],
    ignores: ['packages/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='PrismaClient']",
          message: 'Only packages/db makes a PrismaClient: use createPrismaClient.',
        },
        {
          selector:
            "MemberExpression[object.property.name='auditEvent'][property.name=/^(create|createMany|update|updateMany|upsert|delete|deleteMany)$/]",
          message: 'Only the gateway audit writer writes audit events.',
        },
      ],
    },
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
