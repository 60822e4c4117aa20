// @ts-check
// Lint rules that catch what TypeScript does not: an un-awaited promise (a lost error, or a
// workflow command issued out of order), and workflow code reaching for things the workflow
// sandbox cannot have (Node built-ins, I/O libraries, the app's side-effecting modules).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

export default tseslint.config(
  {
    ignores: ['node_modules/', '.data/', 'build/', 'dist/', 'coverage/', 'web/build/', 'web/public/build/', '**/.cache/', '**/*.tmp'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Raw knex rows are untyped; an explicit `any` there is visible, so a warning, not a failure.
      '@typescript-eslint/no-explicit-any': 'warn',
      // `_`-prefixed parameters are the usual way to keep a positional parameter unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The offline Temporal server handles protobuf messages of every shape: `any` is its trade.
    files: ['emulator/**', 'test/emulator/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': 'warn',
      'prefer-const': 'warn',
    },
  },
  {
    // Plain JavaScript (scripts, launchers, this file) is outside the TypeScript project.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      // Node's globals (process, console, URL...) are not declared for plain JS here.
      'no-undef': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, bundled with webpack: it may
    // import @temporalio/workflow, @temporalio/common and its own pure modules. Types from
    // anywhere are fine (`import type`): they vanish at compile time.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, 'pg', 'knex', 'objection', 'nodemailer', 'express'].map((name) => ({
            name,
            message: 'Workflow code is deterministic and sandboxed: do I/O in an activity.',
            allowTypeImports: true,
          })),
          patterns: [
            { group: ['node:*'], message: 'Workflow code cannot use Node built-ins: do it in an activity.', allowTypeImports: true },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing', '@temporalio/client/*', '@temporalio/worker/*', '@temporalio/activity/*', '@temporalio/testing/*'],
              message: 'Workflow code may import only @temporalio/workflow and @temporalio/common.',
              allowTypeImports: true,
            },
            {
              regex: '^(\\.\\./)+(activities|db|web|worker|dev)(/|$)|^(\\.\\./)+temporal\\.config',
              message: 'Workflow code may import only its own modules; use `import type` for activity types.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
