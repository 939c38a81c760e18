import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'coverage', 'test-artifacts', 'browser-test/dist', 'browser-test/dist-*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // The plugin's own code; the host page shares all of @grafana/ui.
    files: ['src/**/*.{ts,tsx}'],
    rules: {
      // Deprecated in the @grafana/ui we build against. Combobox carries
      // strings and numbers; payload booleans travel under keys (PayloadField).
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@grafana/ui',
              importNames: ['Select', 'MultiSelect', 'AsyncSelect', 'AsyncMultiSelect'],
              message: 'Deprecated: use Combobox or MultiCombobox.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['browser-test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly' } },
  }
);
