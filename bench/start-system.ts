import { execFileSync } from 'node:child_process';
import { postGraphQL } from './reference-answers.ts';
import { PROVIDERS, type Provider } from './sim-admin.ts';
import { freePort, ServiceProcess, type ServiceOptions } from './service-process.ts';
import { GRAPHQL_PATH, type LaunchContext, type SystemSpec } from './systems.ts';
import { RAISED_LIMIT, type RateLimit } from './workloads.ts';

const READY_TIMEOUT_MS = 60_000; // 60s: a cold tsx start of a gateway takes a few seconds

/** W0's body, also every `graphql`-ready system's readiness probe. */
export const W0_BODY = JSON.stringify({ query: '{ __typename }' });

export interface RunningSystem {
  process: ServiceProcess;
  /** The GraphQL endpoint. */
  url: string;
}

/** Every Tributary system's script; peers have their own under bench/peers/. */
const TRIBUTARY_SCRIPT = 'src/main.ts';

/** Starts a system on a free port and waits until it answers; stops it again if it never does. */
export async function startSystem(
  spec: SystemSpec,
  context: Omit<LaunchContext, 'port'>,
  name: string,
  options: Pick<ServiceOptions, 'nodeArgs' | 'memoryProbe'> & { compiled?: boolean; tributaryNodeArgs?: readonly string[] } = {},
): Promise<RunningSystem> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const { compiled, tributaryNodeArgs, ...serviceOptions } = options;
  if (spec.script === TRIBUTARY_SCRIPT && tributaryNodeArgs !== undefined) serviceOptions.nodeArgs = tributaryNodeArgs;
  const child = new ServiceProcess(name, compiled ? compiledScript(spec.script) : spec.script, spec.env({ port, ...context }), serviceOptions);
  const isReady =
    spec.readiness === 'readyz'
      ? async () => (await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200
      : async () => (await postGraphQL(origin + GRAPHQL_PATH, W0_BODY, 1000)).status === 200;
  try {
    await child.waitUntilReady(isReady, READY_TIMEOUT_MS);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { process: child, url: origin + GRAPHQL_PATH };
}

export function raisedLimits(): Record<Provider, RateLimit> {
  return { customers: RAISED_LIMIT, stripe: RAISED_LIMIT, hubspot: RAISED_LIMIT };
}

/** What the simulators are reset to: the run's latency and a workload's budgets. */
export function faults(latencyMs: number, limits: Record<Provider, RateLimit>) {
  return Object.fromEntries(PROVIDERS.map((p) => [p, { latencyMs, rateLimit: limits[p] }])) as Record<Provider, { latencyMs: number; rateLimit: RateLimit }>;
}

/** `src/main.ts` → `dist/main.js` (tsconfig.build.json's layout); other scripts run as they are. */
export function compiledScript(script: string): string {
  const match = /^src\/(.+)\.ts$/.exec(script);
  return match ? `dist/${match[1]}.js` : script;
}

/** `npm run build`, once, before any compiled system starts. */
export function buildForBench(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
