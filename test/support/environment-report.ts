import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAVE_CHROMIUM } from './chromium.ts';
import { ping, REDIS_URL } from './redis.ts';

const TEST_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Each optional facility, how to tell it is here, and how its suites are recognised. */
const FACILITIES = [
  { name: `Redis at ${REDIS_URL}`, marker: 'redisForTests', available: () => ping(REDIS_URL), hint: 'start redis-server, or set REDIS_TEST_URL' },
  { name: 'chromium', marker: 'launchChromium', available: async () => HAVE_CHROMIUM, hint: 'apt-get install chromium' },
  { name: 'promtool', marker: 'promtoolForTests', available: hasPromtool, hint: 'apt-get install prometheus' },
];

function hasPromtool(): Promise<boolean> {
  return new Promise((resolve) => execFile('promtool', ['--version'], (error) => resolve(error === null)));
}

function suitesUsing(marker: string): number {
  const files = readdirSync(TEST_ROOT, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.test.ts'));
  return files.filter((file) => readFileSync(join(TEST_ROOT, file), 'utf8').includes(marker)).length;
}

/**
 * Vitest global setup: one line per missing facility, so that a green `npm test` without Redis says
 * how much it did not run (the suites skip themselves; under CI=true they fail instead).
 */
export default async function reportEnvironment(): Promise<void> {
  if (process.env['CI'] === 'true') return;
  for (const facility of FACILITIES) {
    if (await facility.available()) continue;
    process.stdout.write(`\n⚠ ${facility.name} is not available: ${suitesUsing(facility.marker)} test files that need it are skipped (${facility.hint}; under CI=true they fail).\n`);
  }
}
