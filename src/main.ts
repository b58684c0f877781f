import { ConfigError, loadConfig } from './config.ts';
import { start } from './server/start.ts';

const SAMPLE_QUERY = `{
  customers(first: 3) {
    edges { node { name email
      payments(first: 2) { edges { node { amount { amount currency } status } } }
      crmContact { lifecycleStage }
      deals(first: 2) { edges { node { name stage amount { amount currency } } } } } }
  }
}`;

async function main(): Promise<void> {
  const config = loadConfig();
  const running = await start(config);
  const { gateway } = running;
  gateway.log.info({ mode: config.mode }, `Tributary listening at ${gateway.url}`);
  const where = config.mode === 'embedded' ? 'embedded simulators' : 'configured providers';
  process.stdout.write(
    `\nTributary is serving ${where} at ${gateway.url}\n` +
      (config.production ? '' : `Open it in a browser for the sandbox.\n`) +
      `Try:\n  curl -s ${gateway.url} -H 'content-type: application/json' \\\n` +
      `    -d '{"query":"{ customers(first: 2) { edges { node { name crmContact { email } } } } }"}'\n\nA Customer 360 query:\n${SAMPLE_QUERY}\n\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.log.info(`${signal}: shutting down`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Tributary failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
