// ESLint with typescript-eslint's recommended rules for the whole code base.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Forbids imports from the named folders (server/<name> or models/) in the given files. */
function layer(files, forbidden, message) {
  const group = forbidden
    .map((name) => (name === 'models' ? '**/models/**' : `**/${name}/**`))
    .concat(forbidden.filter((name) => name !== 'models').map((name) => `**/${name}`));
  return [{ files: [files], rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] } }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // The layers, top to bottom: routes (the URL table and handlers) → middleware and
  // presenters → policies → services → models, with server/types at the bottom. An
  // import may only point down; docs/architecture.md explains why each line is here.
  ...layer(
    'server/routes/**',
    ['models'],
    'Handlers reach stored data through services; name record types through server/types/records.ts.',
  ),
  ...layer(
    'server/middleware/**',
    ['routes', 'presenters'],
    'Middleware sits below the handlers and presenters; app.ts passes in what it needs.',
  ),
  ...layer('server/auth/**', ['routes', 'presenters', 'services'], 'Sign-in plumbing gets the accounts service from app.ts.'),
  ...layer(
    'server/presenters/**',
    ['routes', 'middleware'],
    'Presenters turn records into view data and know nothing of requests.',
  ),
  ...layer(
    'server/validation/**',
    ['routes', 'middleware', 'presenters', 'policies'],
    'Forms are read before anything else happens.',
  ),
  ...layer(
    'server/policies/**',
    ['routes', 'middleware', 'presenters', 'services', 'models', 'validation'],
    'Rules judge the shapes in server/types; they load nothing.',
  ),
  ...layer(
    'server/{services,mail}/**',
    ['routes', 'middleware', 'presenters', 'policies', 'validation'],
    'Services never see a request, a page or a rule file.',
  ),
  ...layer(
    'models/**',
    ['routes', 'middleware', 'presenters', 'policies', 'services', 'validation'],
    'Models are the bottom layer but for server/types.',
  ),
  ...layer(
    'server/types/**',
    ['routes', 'middleware', 'presenters', 'policies', 'services', 'validation', 'i18n'],
    'The types module is the bottom of the board.',
  ),
  {
    // Type-aware rules: a promise nobody awaits loses its error (an unhandled rejection
    // instead of the error page), and an async function where a callback's return value
    // is ignored (an event handler, a forEach) does the same. tsconfig.test.json covers
    // every TypeScript file: server, models, jobs, bench and test.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['public/js/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
