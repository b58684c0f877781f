import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the explorer page loads, read once at start-up. */
export interface ExplorerAsset {
  /** The name it is served under: its content's hash is in it, so it can be cached for good. */
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
}

/** The explorer's files in the order the page loads them; the scripts' order matters (UMD globals). */
export interface ExplorerAssets {
  readonly styles: readonly ExplorerAsset[];
  readonly scripts: readonly ExplorerAsset[];
  /** Every asset by its served name: the whole file server, so no request can name a path. */
  readonly byName: ReadonlyMap<string, ExplorerAsset>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Installed packages' browser builds (package, file inside it). GraphiQL's UMD build reads React
 * and ReactDOM from globals, and bundles graphql-ws's client for subscriptions; React's UMD builds
 * are gone from React 19, hence 18. Resolved through each package.json: their `exports` do not
 * list these files.
 */
const PACKAGE_FILES = {
  styles: [['graphiql', 'graphiql.min.css']],
  scripts: [
    ['react', 'umd/react.production.min.js'],
    ['react-dom', 'umd/react-dom.production.min.js'],
    ['graphiql', 'graphiql.min.js'],
  ],
} as const;

/** The page's own files, beside this module. */
const OWN_FILES = { styles: ['explorer.css'], scripts: ['explorer.js'] } as const;

/** GraphiQL, React and the page's own script and styles, read from disk once. */
export function loadExplorerAssets(): ExplorerAssets {
  const require = createRequire(import.meta.url);
  const packageFile = ([pkg, file]: readonly [string, string]) => join(dirname(require.resolve(`${pkg}/package.json`)), file);
  const own = ownDir();
  const styles = [...PACKAGE_FILES.styles.map(packageFile), ...OWN_FILES.styles.map((file) => join(own, file))].map(readAsset);
  const scripts = [...PACKAGE_FILES.scripts.map(packageFile), ...OWN_FILES.scripts.map((file) => join(own, file))].map(readAsset);
  return { styles, scripts, byName: new Map([...styles, ...scripts].map((asset) => [asset.name, asset])) };
}

/** `graphiql.min.js` → `graphiql.min.1a2b3c4d5e6f.js`: a new version is a new URL. */
function readAsset(path: string): ExplorerAsset {
  const body = readFileSync(path);
  const ext = extname(path);
  const contentType = CONTENT_TYPES[ext];
  if (!contentType) throw new Error(`the explorer serves .js and .css only, not ${path}`);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const base = path.slice(dirname(path).length + 1, -ext.length);
  return { name: `${base}.${hash}${ext}`, body, contentType };
}

/**
 * The page's own files sit next to this module in the source tree; tsc copies no .js/.css it did
 * not compile, so the image copies them beside dist/server/explorer/ (Dockerfile), and a local
 * `node dist/main.js` finds them in the source tree at ../../../src/server/explorer/assets.
 */
function ownDir(): string {
  const beside = fileURLToPath(new URL('./assets/', import.meta.url));
  if (existsSync(join(beside, OWN_FILES.scripts[0]))) return beside;
  const source = fileURLToPath(new URL('../../../src/server/explorer/assets/', import.meta.url));
  if (existsSync(join(source, OWN_FILES.scripts[0]))) return source;
  throw new Error(`the explorer's files are missing: looked in ${beside} and ${source}`);
}
