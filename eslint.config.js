import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'renderer/dist/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['electron', 'svelte', 'svelte/*', '**/main/**', '**/renderer/**', '**/sim/**'] }],
    },
  },
  {
    // the helpers every layer of app/ may use (clock, retry): they know nothing of flatdeck
    files: ['app/support/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../*', 'electron', 'svelte', 'svelte/*', '**/main/**', '**/renderer/**', '**/sim/**'] }] },
  },
  {
    files: ['sim/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/app/**', '**/main/**', '**/renderer/**'] }] },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/app/cluster/**', '**/app/ssh/**', '**/app/flatcar/**', '**/app/pipeline/**', '**/main/**', '**/sim/**'] }],
    },
  },
);
