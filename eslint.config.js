// ESLint flat config: typescript-eslint's type-checked rules over the sources, the bench and the tests
// (typed through tsconfig.test.json, which includes all three).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const noProcessExit = {
  object: 'process',
  property: 'exit',
  message: 'Only the CLI (src/cli/) ends the process; library code throws or returns and lets the program decide.',
};

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'config/', 'compose/', 'docker/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.test.json', './src/view/page/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      'no-restricted-properties': ['error', noProcessExit],
      // `const { omitted: _, ...rest } = value` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The CLI and the bench's entry point are programs: they own their exit status.
    files: ['src/cli/**/*.ts', 'bench/run.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // A command reaches its process only through the command context (src/cli/kit/context.ts), so that every
    // command runs in-process in a unit test; and no command imports another: what two share lives in
    // src/cli/kit/ or in a layer below.
    files: ['src/cli/*-command.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['stdout', 'stderr', 'env', 'exit', 'exitCode', 'argv'].map((property) => ({
          object: 'process',
          property,
          message: 'A command uses its CommandContext (src/cli/kit/context.ts), never the process directly.',
        })),
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['./*-command.js'], message: 'No command imports another: move the shared piece into src/cli/kit/ or a layer below.' }] },
      ],
    },
  },
  {
    // Test doubles implement async interfaces (transports, Docker clients, resolvers) with plain `async`
    // methods that have nothing to await; requiring an await there would only add noise.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // This file itself: plain JavaScript outside tsconfig, linted without type information.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
