import { Writable } from 'node:stream';
import { request } from 'undici';
import { loadConfig } from '../../src/config.ts';
import type { ProviderUsage } from '../../src/upstream/upstream-report.ts';
import type { Dataset, SimStats, SimulatorSet } from '../../src/simulators/index.ts';
import { pointWebhooksAt, start, type Running } from '../../src/server/start.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  extensions?: { upstream?: Record<'customers' | 'stripe' | 'hubspot', ProviderUsage> } & Record<string, unknown>;
}

type Provider = 'customers' | 'stripe' | 'hubspot';

const SECRET_VARIABLE = /(TOKEN|SECRET|KEY)$/;

function secretsIn(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => (SECRET_VARIABLE.test(name) && !name.endsWith('_PREFIX') ? [value] : []));
}

function logStream(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
}

/**
 * The embedded default, as `npm start` runs it, on ephemeral ports: simulators in-process and
 * the gateway in front of them. Tests speak real HTTP to both.
 */
export class GatewayStack {
  private constructor(
    private readonly running: Running,
    /** Every log line the gateway wrote, for tests that read them (secrets must never appear). */
    readonly logs: string[],
    private readonly sharedSimulators?: SimulatorSet,
    /** Every credential the gateway was given; close() fails if any reached a log line. */
    private readonly secrets: string[] = [],
  ) {}

  /** The embedded default: its own simulators. */
  static async start(env: Record<string, string> = {}, now?: () => number): Promise<GatewayStack> {
    const logs: string[] = [];
    const running = await start(GatewayStack.config(env), logStream(logs), now);
    const { credentials } = running.simulators!;
    return new GatewayStack(running, logs, undefined, [...Object.values(credentials), ...secretsIn(env)]);
  }

  /** A gateway in remote mode in front of simulators the test started (and shares). */
  static async startRemote(simulators: SimulatorSet, env: Record<string, string> = {}, now?: () => number): Promise<GatewayStack> {
    const { credentials } = simulators;
    const logs: string[] = [];
    const config = GatewayStack.config({
      CUSTOMERS_API_URL: simulators.customers.url,
      CUSTOMERS_API_TOKEN: credentials.customersToken,
      STRIPE_API_URL: simulators.stripe.url,
      STRIPE_SECRET_KEY: credentials.stripeSecretKey,
      HUBSPOT_API_URL: simulators.hubspot.url,
      HUBSPOT_ACCESS_TOKEN: credentials.hubspotToken,
      UPSTREAM_REPORT: 'true',
      ...env,
    });
    const secrets = [...Object.values(credentials), ...secretsIn(env)];
    return new GatewayStack(await start(config, logStream(logs), now), logs, simulators, secrets);
  }

  /**
   * A gateway in remote mode whose tenants are given by `env` alone (TENANTS_FILE, API_KEYS_FILE…),
   * in front of simulators the test started. `secrets`: what must never reach a log line.
   */
  static async startConfigured(env: Record<string, string>, simulators: SimulatorSet, secrets: string[] = [], now?: () => number): Promise<GatewayStack> {
    const logs: string[] = [];
    const running = await start(GatewayStack.config({ UPSTREAM_REPORT: 'true', ...env }), logStream(logs), now);
    return new GatewayStack(running, logs, simulators, [...secrets, ...secretsIn(env)]);
  }

  private static config(env: Record<string, string>) {
    return loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  }

  get url(): string {
    return this.running.gateway.url;
  }

  get simulators(): SimulatorSet {
    const simulators = this.running.simulators ?? this.sharedSimulators;
    if (!simulators) throw new Error('no simulators');
    return simulators;
  }

  get dataset(): Dataset {
    return this.simulators.dataset;
  }

  /** `headers`: e.g. `bearer(key)` from test/support/auth.ts. */
  async query<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    return (await this.post<T>(query, variables, headers)).body;
  }

  /** The whole HTTP answer, for tests of status codes and headers. */
  async post<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await request(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as GraphQLResponse<T> };
  }

  async simStats(provider: Provider): Promise<SimStats> {
    const response = await request(new URL('/_sim/stats', this.simulators[provider].url));
    return (await response.body.json()) as SimStats;
  }

  async simAdmin(provider: Provider, path: 'reset' | 'faults', body?: unknown): Promise<void> {
    const response = await request(new URL(`/_sim/${path}`, this.simulators[provider].url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
    });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`/_sim/${path} on ${provider}: HTTP ${response.statusCode}`);
  }

  /** Simulators back to their seeded state and counters, and the gateway's cache empty. */
  async resetAll(): Promise<void> {
    await Promise.all((['customers', 'stripe', 'hubspot'] as const).map((p) => this.simAdmin(p, 'reset')));
    // A reset forgets the simulators' webhook endpoints; the embedded default points them at its gateway.
    if (this.running.simulators) pointWebhooksAt(this.running.gateway, this.running.simulators);
    await this.running.gateway.flushCache();
  }

  get gateway(): Running['gateway'] {
    return this.running.gateway;
  }

  /** Stops the gateway (and its own simulators), then checks its logs for every secret it held. */
  async close(): Promise<void> {
    await this.running.close();
    const leaked = this.secrets.filter((secret) => secret.length >= 6 && this.logs.some((line) => line.includes(secret)));
    if (leaked.length > 0) throw new Error(`the gateway logged ${leaked.length} configured secret(s)`);
  }
}
