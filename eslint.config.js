// Lint rules: typescript-eslint's recommended, type-aware set on every TypeScript file, no import cycles (a cycle
// makes module initialisation order matter and hides which layer depends on which), and no file over 400 lines.
import js from '@eslint/js';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.sluice/', 'test-results/', 'dashboard/dist/', 'dashboard/.dist-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Imports name their `.ts` files (allowImportingTsExtensions), so Node's own resolution finds every module.
    files: ['**/*.ts', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      // The rule parses each imported module itself: TypeScript files need typescript-eslint's parser for that.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Small files are easier to live in: past 400 lines, there is a seam to split along.
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    // client-node's index loads every generated model and API class (44 MiB of RSS more than KubeConfig alone):
    // the controller and the plugin take its runtime parts from kube/clientNode.ts and speak JSON through
    // kube/resourceClients.ts. Its types are free (erased), and tests may use the typed clients.
    files: ['controller/src/**/*.ts', 'bin/*.js'],
    ignores: ['**/*.test.ts', '**/*.test-support.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@kubernetes/client-node',
              allowTypeImports: true,
              message:
                'import its runtime parts from kube/clientNode.ts, and call the API through kube/resourceClients.ts',
            },
          ],
          patterns: [
            {
              group: [
                '@kubernetes/client-node/dist/index.js',
                '@kubernetes/client-node/dist/api.js',
                '@kubernetes/client-node/dist/gen/index.js',
                '@kubernetes/client-node/dist/gen/models/*',
                '@kubernetes/client-node/dist/gen/apis/*',
                '@kubernetes/client-node/dist/gen/types/*',
                '!@kubernetes/client-node/dist/gen/apis/exception.js',
              ],
              allowTypeImports: true,
              message: 'these modules load the generated models: see kube/clientNode.ts',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['bin/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
