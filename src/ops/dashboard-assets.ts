import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the /ops page loads, read once at start-up. */
export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** uPlot's browser build, served from the installed package: the page must work offline, with no CDN. */
const UPLOT_FILES = ['uPlot.esm.js', 'uPlot.min.css'];

/**
 * The page (`index.html`) and every asset under /ops/assets/ by file name: the dashboard's own
 * files and uPlot's. A fixed map, read once, is the whole file server: a request names a key,
 * never a path, so nothing outside these files can be reached.
 */
export function loadDashboardAssets(): { page: DashboardAsset; assets: ReadonlyMap<string, DashboardAsset> } {
  const dir = dashboardDir();
  const read = (path: string): DashboardAsset => ({ body: readFileSync(path), contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' });
  const assets = new Map<string, DashboardAsset>();
  for (const name of readdirSync(dir)) {
    if (name !== 'index.html' && CONTENT_TYPES[extname(name)]) assets.set(name, read(join(dir, name)));
  }
  const require = createRequire(import.meta.url);
  for (const name of UPLOT_FILES) assets.set(name, read(require.resolve(`uplot/dist/${name}`)));
  return { page: read(join(dir, 'index.html')), assets };
}

/**
 * The dashboard's files sit next to this module in the source tree. The image runs the compiled
 * dist/ (tsc copies no .html/.js/.css), and keeps the source tree beside it: from dist/ops/ the
 * files are at ../../src/ops/dashboard.
 */
function dashboardDir(): string {
  const beside = fileURLToPath(new URL('./dashboard/', import.meta.url));
  if (existsSync(join(beside, 'index.html'))) return beside;
  const source = fileURLToPath(new URL('../../src/ops/dashboard/', import.meta.url));
  if (existsSync(join(source, 'index.html'))) return source;
  throw new Error(`the /ops dashboard's files are missing: looked in ${beside} and ${source}`);
}
