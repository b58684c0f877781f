import { ConfigError, formatConfigError, loadConfig } from './config.ts';
import { configSummary } from './config/config-summary.ts';

/**
 * Validates the configuration in the environment the way start-up does, and starts nothing: no
 * simulator, no listener, no Redis connection, no request to a provider (it reads the files the
 * variables name). Exits 0 with "configuration OK" and a summary, or 2 with every problem.
 *   TENANTS_FILE=tenants.yaml API_KEYS_FILE=keys.yaml npm run config:check
 * Compiled to dist/config-check.js, so that a production image (no tsx) runs it with node.
 */
try {
  const config = loadConfig(process.env);
  process.stdout.write(`configuration OK\n${configSummary(config).map((line) => `  ${line}\n`).join('')}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(formatConfigError(error));
  process.exit(2);
}
