// Lint: typescript-eslint's type-checked rules over the library, its tests, examples and bench.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**', 'eslint.config.mjs', '.mocharc.drivers.js', 'test/peers/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Express's and Koa's request, response and context objects reach the library untyped: it
      // depends on neither framework's types (an app may have only one of them installed). `any` at
      // those seams is deliberate; everything past them is typed.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // An async function that never awaits is still the right shape where a throw must become a
      // rejection (interface methods such as ready(), store fakes in tests).
      '@typescript-eslint/require-await': 'off',
      // Routes rethrow what they caught (`Promise.reject(error)`), whatever it is, unchanged.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // routing-controllers' and TypeORM's own APIs take `Function` (controller and entity lists).
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // Hook parameters a subclass may use are named `_request` in the no-op defaults.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests and the example load optional frameworks and providers lazily, only where used.
      '@typescript-eslint/no-require-imports': 'off',
      // chai's property assertions (`.to.be.empty`) are expressions.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Test servers' Express handlers and process signal handlers are async on purpose.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
);
