import { ConfigError, formatConfigError, loadConfig, type GatewayConfig } from './config.ts';
import { SAMPLE_QUERY } from './graphql/sample-query.ts';

/** Embedded: how to see a change travel from a provider to a subscriber (README, "Events"). */
function eventsHint(stripeSimulator: string | undefined): string {
  if (!stripeSimulator) return '';
  return (
    `Live changes: subscribe (graphql-ws, same URL) to subscription { paymentChanged(customerId: "…") { id status } },\n` +
    `then refund one of its charges in the Stripe simulator, which sends the signed webhook to /webhooks/stripe:\n` +
    `  curl -s ${stripeSimulator}/_sim/mutate -H 'content-type: application/json' -d '{"action":"refund","charge":"ch_…"}'\n\n`
  );
}

function explorerHint(explorer: GatewayConfig['explorer']): string {
  if (explorer === 'local') return 'Open it in a browser for the explorer (GraphiQL, served from local files), the Customer 360 query below preloaded.\n';
  if (explorer === 'apollo') return 'Open it in a browser for Apollo Sandbox (loaded from Apollo\'s CDN).\n';
  return '';
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Loaded once the configuration is good: a bad one is reported without waiting for the whole server's modules.
  const { start } = await import('./server/start.ts');
  const running = await start(config);
  const { gateway } = running;
  gateway.log.info({ mode: config.mode }, `Tributary listening at ${gateway.url}`);
  const where = config.mode === 'embedded' ? 'embedded simulators' : 'configured providers';
  const { apiKeys, jwt } = config.clientAuth;
  const auth =
    apiKeys || jwt
      ? `Clients authenticate with ${[apiKeys ? `API keys (${apiKeys.length})` : '', jwt ? 'JWTs' : ''].filter(Boolean).join(' or ')}.\n`
      : `Authentication is OFF: every request acts as tenant "${config.defaultTenantId}" with every scope.\n` +
        `  Turn it on with API_KEYS_FILE (npm run api-key -- --client NAME) or JWT_JWKS_URL; see the README's "Auth, tenants and limits".\n`;
  process.stdout.write(
    `\nTributary is serving ${where} at ${gateway.url}\n` +
      auth +
      explorerHint(config.explorer) +
      `Try:\n  curl -s ${gateway.url} -H 'content-type: application/json' \\\n` +
      `    -d '{"query":"{ customers(first: 2) { edges { node { name crmContact { email } } } } }"}'\n\nA Customer 360 query:\n${SAMPLE_QUERY}\n\n` +
      eventsHint(running.simulators?.stripe.url),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.beginShutdown(); // at once: load balancers see 503 on /readyz before anything closes
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
    process.stderr.write(formatConfigError(error));
    process.exit(2);
  }
  process.stderr.write(`Tributary failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
