/**
 * `npm run bench:readme -- bench/results/<file>.json`: rewrites the README's generated part that
 * the file fills (a comparison run's tables, or a soak's result; see readme-tables.ts) and keeps
 * the file as bench/results/latest.json or latest-soak.json, the only results committed, so the
 * README's numbers can always be traced to the JSON they came from.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './service-process.ts';
import type { BenchResults } from './report.ts';
import { KEPT_RESULTS, renderSoakSection, renderTablesSection, replaceSection, sectionOf } from './readme-tables.ts';
import type { SoakResults } from './soak.ts';

function main(argv: readonly string[]): void {
  const [file, ...rest] = argv;
  if (file === undefined || rest.length > 0 || file.startsWith('-')) {
    throw new TypeError('usage: npm run bench:readme -- bench/results/<file>.json');
  }
  const source = resolve(file);
  const results: unknown = JSON.parse(readFileSync(source, 'utf8'));
  const section = sectionOf(results);
  const content = section === 'tables' ? renderTablesSection(results as BenchResults) : renderSoakSection(results as SoakResults);
  const readmePath = join(REPO_ROOT, 'README.md');
  writeFileSync(readmePath, replaceSection(readFileSync(readmePath, 'utf8'), section, content));
  const kept = join(REPO_ROOT, KEPT_RESULTS[section]);
  if (kept !== source) copyFileSync(source, kept);
  process.stderr.write(`[bench:readme] README.md's ${section} rewritten from ${file}; kept as ${KEPT_RESULTS[section]} (commit both)\n`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`[bench:readme] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
