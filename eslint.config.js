// Layer boundaries are enforced here (see README "Architecture"): the domain layer never
// sees a transport (express, socket.io) or the scheduler (agenda).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const transportModules = [
  'express',
  'express-*',
  'socket.io',
  'socket.io-*',
  'agenda',
  '@agendajs/*',
  'passport',
  'passport-*',
];

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'devdb/target/**', 'data/**', 'public/vendor/**', 'bench/tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // A promise nobody awaits or handles is an error nobody sees: type-aware checks on every TS file.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['server/domain/**/*.ts', 'models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: transportModules,
              message: 'The domain layer and models stay free of transports and the scheduler.',
            },
            {
              group: ['**/http/**', '**/realtime/**', '**/inbound-mail/**', '**/jobs/**'],
              message: 'The domain layer does not import adapters.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tenant scope has no back door: the domain reaches the driver only through server/db/scoped-collection.ts.
    files: ['server/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          "MemberExpression[property.name='collection']",
          "MemberExpression[property.name='db'][object.property.name=/^(connection|db)$/]",
          "MemberExpression[property.name='db'][object.name=/^(connection|db)$/]",
          "MemberExpression[object.name='mongoose'][property.name=/^(connection|connections)$/]",
          "ImportSpecifier[parent.source.value='mongoose'][imported.name=/^(connection|connections)$/]",
        ].map((selector) => ({
          selector,
          message:
            'The domain does not touch raw collections: use scopedCollection / crossTenant / unscopedCollection from server/db/scoped-collection.ts.',
        })),
      ],
    },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        io: 'readonly',
        fetch: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setTimeout: 'readonly',
        console: 'readonly',
        Intl: 'readonly',
        FormData: 'readonly',
        URLSearchParams: 'readonly',
        navigator: 'readonly',
        location: 'readonly',
        CustomEvent: 'readonly',
        HTMLElement: 'readonly',
      },
    },
    rules: { 'no-console': 'error' },
  },
  {
    files: ['test/**/*.cjs', 'eslint.config.js'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
