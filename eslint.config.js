// Lint rules, including the one-way import direction of docs/architecture (see README):
// runtime never imports vscode, extension/ or media/; the DSL and protocol stay free of
// TensorFlow.js; the engine knows nothing of the search; media talks only through protocol types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const noVscode = { group: ['vscode'], message: 'runtime/ is plain Node: never import vscode.' };
const noExtension = { group: ['**/extension/**'], message: 'runtime/ must not import extension/.' };
const noMedia = { group: ['**/media/**'], message: 'only the browser bundle imports media/.' };
const noTf = { group: ['@tensorflow/*'], message: 'this folder must stay free of TensorFlow.js.' };
const noUpward = (names) => ({
  group: names.map((n) => `**/${n}/**`),
  message: `imports point one way (docs in README): this folder must not import ${names.join(', ')}.`,
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '**/generated/**', 'test-artifacts/**', 'bench/.tmp/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  { files: ['runtime/**'], rules: restrict([noVscode, noExtension, noMedia]) },
  { files: ['runtime/dsl/**', 'runtime/protocol/**'], rules: restrict([noVscode, noExtension, noMedia, noTf, noUpward(['engine', 'supernet', 'search', 'data', 'cli'])]) },
  { files: ['runtime/engine/**'], rules: restrict([noVscode, noExtension, noMedia, noUpward(['supernet', 'search', 'cli', 'dsl'])]) },
  { files: ['runtime/supernet/**'], rules: restrict([noVscode, noExtension, noMedia, noUpward(['search', 'cli'])]) },
  { files: ['runtime/data/**'], rules: restrict([noVscode, noExtension, noMedia, noUpward(['supernet', 'search', 'cli', 'engine'])]) },
  { files: ['runtime/search/**'], rules: restrict([noVscode, noExtension, noMedia, noUpward(['cli'])]) },
  // Seeded randomness is shared by the engine, the data layer and the search: it imports none of them.
  { files: ['runtime/random/**'], rules: restrict([noVscode, noExtension, noMedia, noTf, noUpward(['dsl', 'protocol', 'engine', 'supernet', 'search', 'data', 'sweep', 'cli'])]) },
  // Sweeps run searches as `bnas` child processes: no TensorFlow.js, no engine or supernet inside.
  { files: ['runtime/sweep/**'], rules: restrict([noVscode, noExtension, noMedia, noTf, noUpward(['engine', 'supernet', 'cli'])]) },
  { files: ['extension/**'], rules: restrict([noMedia, noTf, noUpward(['engine', 'supernet', 'search', 'data', 'cli'])]) },
  { files: ['media/**'], rules: restrict([noVscode, noTf, noUpward(['extension', 'dsl', 'engine', 'supernet', 'search', 'data', 'cli'])]) },
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },
  { files: ['scripts/**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  // Small files in the product's sources (docs/design.md): split a file before it grows past this.
  { files: ['runtime/**/*.ts', 'extension/**/*.ts', 'media/**/*.ts'], rules: { 'max-lines': ['error', { max: 600 }] } },
);
