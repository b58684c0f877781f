/**
 * The three provider simulators in a process of their own, so that the systems under test, the
 * simulators and the load generator each have their own event loop, as they would on separate
 * hosts. Started by bench/run.ts; not meant to be run by hand (`npm run sim` is for that).
 *
 *   BENCH_SIM_LATENCY_MS  latency every simulator adds to each answer (default 0)
 *
 * Prints one JSON line, `{"customers": url, "stripe": url, "hubspot": url, "credentials": …}`,
 * once all three listen on loopback. Exits when its parent closes standard input (so a harness
 * killed with SIGKILL leaves no simulators behind) or on SIGTERM/SIGINT.
 */
import { startSimulators } from '../src/simulators/index.ts';

export interface SimulatorAddresses {
  customers: string;
  stripe: string;
  hubspot: string;
  credentials: { customersToken: string; stripeSecretKey: string; hubspotToken: string };
}

async function main(): Promise<void> {
  const latencyMs = Number(process.env['BENCH_SIM_LATENCY_MS'] ?? '0');
  if (!Number.isInteger(latencyMs) || latencyMs < 0) {
    throw new TypeError(`BENCH_SIM_LATENCY_MS must be a non-negative integer: ${process.env['BENCH_SIM_LATENCY_MS']}`);
  }
  const sims = await startSimulators({ host: '127.0.0.1', latencyMs });
  const { customersToken, stripeSecretKey, hubspotToken } = sims.credentials;
  const addresses: SimulatorAddresses = {
    customers: sims.customers.url,
    stripe: sims.stripe.url,
    hubspot: sims.hubspot.url,
    credentials: { customersToken, stripeSecretKey, hubspotToken },
  };
  process.stdout.write(`${JSON.stringify(addresses)}\n`);

  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    sims.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.stdin.on('end', close).on('error', close).resume();
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

main().catch((error: unknown) => {
  process.stderr.write(`simulators failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
