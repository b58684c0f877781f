import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The arrows between layers that must never exist, checked on every import under src/
 * (static, re-exports, `import type` and dynamic `import()` alike: a type-only import still ties
 * the layers together). A layer is the first folder under src/.
 */
const RULES: ReadonlyArray<{ from: string; to: readonly string[]; why: string }> = [
  { from: 'graphql', to: ['upstream'], why: "resolvers reach data only through a provider's loaders in the context" },
  { from: 'upstream', to: ['providers', 'graphql', 'server', 'auth'], why: 'the pipeline knows no provider name and no GraphQL type' },
  { from: 'providers', to: ['graphql', 'server'], why: 'providers map to model types, not to resolvers' },
  { from: 'simulators', to: ['providers'], why: 'a simulator shares no code with the client it tests' },
  { from: 'providers', to: ['simulators'], why: 'a simulator shares no code with the client it tests' },
  ...['upstream', 'providers', 'events', 'writes', 'graphql', 'auth', 'model'].map((from) => ({
    from,
    to: ['ops'],
    why: 'only server/ (composition) imports ops/: the other layers emit through src/telemetry.ts',
  })),
];

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

interface ImportEdge {
  /** Both relative to the repository, with forward slashes: `src/graphql/resolvers/query.ts`. */
  readonly file: string;
  readonly target: string;
}

describe('import directions', () => {
  const edges = importsUnder(SRC);

  it('reads the imports of every source file (so an empty scan cannot pass)', () => {
    expect(edges.some((edge) => edge.file.startsWith('src/graphql/') && edge.target.startsWith('src/providers/'))).toBe(true);
    expect(edges.some((edge) => edge.file.startsWith('src/providers/') && edge.target.startsWith('src/upstream/'))).toBe(true);
  });

  for (const rule of RULES) {
    it(`${rule.from}/ never imports ${rule.to.join('/, ')}/`, () => {
      expect(violations(edges, rule)).toEqual([]);
    });
  }

  it('imports OpenTelemetry only in ops/: spans reach the other layers as src/telemetry.ts\'s TraceSpan', () => {
    const repo = resolve(SRC, '..');
    const users = sourceFiles(SRC)
      .filter((path) => ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.some(({ fileName }) => fileName.startsWith('@opentelemetry/')))
      .map((path) => relative(repo, path).split(sep).join('/'));
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((path) => !path.startsWith('src/ops/'))).toEqual([]);
  });

  it('names the file and the import that break a rule', () => {
    const made = [
      { file: 'src/graphql/resolvers/query.ts', target: 'src/upstream/call-context.ts' },
      { file: 'src/graphql/resolvers/query.ts', target: 'src/providers/stripe/index.ts' },
    ];
    expect(violations(made, RULES[0]!)).toEqual([
      `src/graphql/resolvers/query.ts imports src/upstream/call-context.ts: ${RULES[0]!.why}`,
    ]);
  });
});

// Private: the scan.

function violations(edges: readonly ImportEdge[], rule: (typeof RULES)[number]): string[] {
  return edges
    .filter((edge) => layerOf(edge.file) === rule.from && rule.to.includes(layerOf(edge.target) ?? ''))
    .map((edge) => `${edge.file} imports ${edge.target}: ${rule.why}`);
}

function layerOf(path: string): string | undefined {
  const [root, layer, ...rest] = path.split('/');
  return root === 'src' && rest.length > 0 ? layer : undefined;
}

/** Relative imports only: a package is no layer of ours. */
function importsUnder(dir: string): ImportEdge[] {
  const repo = resolve(SRC, '..');
  const toRepoPath = (path: string) => relative(repo, path).split(sep).join('/');
  return sourceFiles(dir).flatMap((path) =>
    ts
      .preProcessFile(readFileSync(path, 'utf8'), true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith('.'))
      .map(({ fileName }) => ({ file: toRepoPath(path), target: toRepoPath(resolve(dirname(path), fileName)) })),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
