// One flat config for the whole repo. `process.env` is read only in each app's env.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**', '**/.next/**', '**/dist/**', '**/generated/**', '**/.data/**',
      'e2e/artifacts/**', 'test-results/**', '**/next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read env through the app\'s env.ts schema.' }],
    },
  },
  {
    files: ['**/env.ts', 'scripts/**', '**/*.test.ts', '**/*.config.*', 'e2e/**', 'packages/db/src/migrate/**', 'packages/db/src/embedded-postgres.ts', 'packages/db/src/test-database.ts', '**/bench/**', '**/test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
