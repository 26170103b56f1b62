// ESLint flat config: typescript-eslint recommended (no type information
// needed, so linting stays fast) plus the project's layering rule.
//
// Layering (see ../shared/ARCHITECTURE.md): dependencies point down only.
// The rule `vmexit/layering` resolves every import/export/require/import()
// specifier of a file under src/<layer>/ and reports a target in a layer
// that this layer may not see. It also reports a src file that reaches
// outside src (e.g. into test/), and the VS Code packages outside the layers
// that speak to VS Code.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(repoRoot, 'src');

/** Layer -> the layers (src/ folders) its files may import from. */
const LAYERS = {
  cpu: ['cpu'],
  devices: ['devices', 'cpu'],
  vmm: ['vmm', 'devices', 'cpu'],
  debugAdapter: ['debugAdapter', 'vmm'],
  cli: ['cli', 'vmm'],
  // The extension talks to the adapter over DAP; it may import
  // src/debugAdapter only to run the adapter inline (in-process).
  extension: ['extension', 'debugAdapter'],
};

/** Package -> the layers that may import it (tests may import anything). */
const PACKAGES = {
  vscode: ['extension'],
  '@vscode/debugadapter': ['debugAdapter', 'extension'],
  '@vscode/debugprotocol': ['debugAdapter', 'extension'],
};

/**
 * The src/ layer a path is in: the first folder under src/ ('vmm' for both
 * src/vmm/vm.ts and the folder import '../vmm'), '' for a file directly in
 * src/, null outside src/.
 */
function layerOf(file) {
  const rel = relative(srcRoot, file);
  if (rel === '') return '';
  if (rel.startsWith('..') || resolve(srcRoot, rel) !== file) return null;
  const parts = rel.split(sep);
  if (parts.length > 1 || Object.hasOwn(LAYERS, parts[0])) return parts[0];
  return '';
}

const layeringRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep imports pointing down the layers of src/ (ARCHITECTURE.md).' },
    schema: [],
    messages: {
      layer:
        "Layering: src/{{from}} may not import {{to}} ('{{spec}}'). src/{{from}} may import only {{allowed}}.",
      outside: "Layering: src/{{from}} may not import from outside src/ ('{{spec}}').",
      pkg: "Layering: '{{spec}}' may be imported only in {{allowed}}, not in src/{{from}}.",
      unknownLayer:
        'Layering: src/{{from}} is not a known layer; add it to LAYERS in eslint.config.mjs (and to ARCHITECTURE.md).',
    },
  },
  create(context) {
    const file = resolve(context.filename);
    const from = layerOf(file);
    if (from === null) return {}; // test/, scripts/: no restriction
    const allowed = Object.hasOwn(LAYERS, from) ? LAYERS[from] : null;
    const list = (layers) => layers.map((l) => `src/${l}`).join(', ');

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (allowed === null) {
        context.report({ node, messageId: 'unknownLayer', data: { from: from || '(root)' } });
        return;
      }
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = resolve(dirname(file), spec);
        const to = layerOf(target);
        if (to === null) {
          context.report({ node, messageId: 'outside', data: { from, spec } });
        } else if (!allowed.includes(to)) {
          context.report({
            node,
            messageId: 'layer',
            data: { from, to: `src/${to || relative(srcRoot, target)}`, spec, allowed: list(allowed) },
          });
        }
        return;
      }
      for (const [pkg, layers] of Object.entries(PACKAGES)) {
        if ((spec === pkg || spec.startsWith(pkg + '/')) && !layers.includes(from)) {
          context.report({ node, messageId: 'pkg', data: { from, spec, allowed: list(layers) } });
        }
      }
    }
    const literal = (n) => (n && n.type === 'Literal' ? n.value : undefined);

    return {
      ImportDeclaration: (n) => check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ImportExpression: (n) => check(n.source, literal(n.source)),
      TSImportType: (n) => {
        const src = n.source ?? n.argument?.literal;
        check(src, literal(src));
      },
      TSExternalModuleReference: (n) => check(n.expression, literal(n.expression)),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments.length === 1) {
          check(n.arguments[0], literal(n.arguments[0]));
        }
      },
    };
  },
};

export default defineConfig([
  globalIgnores(['dist/', 'out/', 'node_modules/', '.cache/', 'test-output/', '**/*.d.ts']),
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        // Node globals used by scripts/tests (TypeScript checks the rest).
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsc (noUnusedLocals/Parameters) already reports unused names; keep the
      // lint rule for `_`-prefixed intentional ones and rest siblings.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // TypeScript itself resolves identifiers; no-undef only produces false
    // positives on types and globals in .ts files.
    files: ['**/*.{ts,mts,cts}'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { vmexit: { rules: { layering: layeringRule } } },
    rules: {
      'vmexit/layering': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Tests may use `any` where a fixture is deliberately ill-typed.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'warn' },
  },
]);
