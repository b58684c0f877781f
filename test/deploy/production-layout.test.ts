import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readComposeFile } from '../support/compose-file.ts';
import { readDockerfile } from '../support/dockerfile.ts';
import { startLayoutProcess, type LayoutProcess } from '../support/layout-process.ts';
import { PrivateRedis, freePort } from '../support/redis.ts';
import { reproduceRuntimeStage, type RuntimeStage } from '../support/runtime-stage.ts';

/**
 * The production image without Docker: the runtime stage's /app rebuilt from the Dockerfile
 * (test/support/runtime-stage.ts), then started as docker-compose.yml starts it: the simulators
 * with the compose command, the gateway with the image's CMD and the compose environment, Redis
 * with a password. One `npm ci --omit=dev` for the file (about a minute with a warm npm cache).
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_KEY = 'tributary-demo-key-do-not-use-in-production';
const REDIS_PASSWORD = 'layout-test-redis-password';
// Bounds, not measurements: on a loaded machine (2 cores, several suites) a start takes 10-20 s
// and an idle drain a few; docker stop's own bound is 10 s.
const START_TIMEOUT_MS = 60_000;
const SIGNAL_DEADLINE_MS = 50_000;
const PROCESS_TEST_TIMEOUT_MS = 150_000;
const compose = readComposeFile({ REDIS_PASSWORD });

let dir: string;
let app: string;
let stage: RuntimeStage;
let redis: PrivateRedis;
let simulators: LayoutProcess;
const started: LayoutProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-image-'));
  app = join(dir, 'app');
  const runtime = readDockerfile().at(-1)!;
  [stage, redis] = await Promise.all([reproduceRuntimeStage(runtime, app, join(dir, 'build-dist')), PrivateRedis.start({ password: REDIS_PASSWORD })]);
  const simEnv = { ...compose.services['simulators']!.environment, SIM_HOST: '127.0.0.1', SIM_CUSTOMERS_PORT: '0', SIM_STRIPE_PORT: '0', SIM_HUBSPOT_PORT: '0' };
  // Webhook delivery to the gateway is other suites' subject; here the gateway starts after them.
  for (const name of Object.keys(simEnv)) if (name.endsWith('_WEBHOOK_URL')) delete simEnv[name as keyof typeof simEnv];
  simulators = await startLayoutProcess(compose.services['simulators']!.command!, { cwd: app, env: { PATH: process.env['PATH'] ?? '', ...stage.env, ...simEnv }, ready: /^admin /m, timeoutMs: START_TIMEOUT_MS });
  started.push(simulators);
}, 300_000);

afterAll(async () => {
  await Promise.all(started.map((process) => process.kill()));
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The compose gateway's environment, pointed at this test's simulators, Redis and demo key file. */
function gatewayEnv(): Record<string, string> {
  const env = { ...compose.services['gateway']!.environment! };
  const simulatorUrl = (name: string) => new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(simulators.output())![1]!;
  const mounts = new Map((compose.services['gateway']!.volumes ?? []).map((volume) => [volume.split(':')[1], join(REPO_ROOT, volume.split(':')[0]!)]));
  Object.assign(env, {
    PATH: process.env['PATH'] ?? '',
    ...stage.env,
    PORT: '0',
    HOST: '127.0.0.1',
    CUSTOMERS_API_URL: simulatorUrl('customers'),
    STRIPE_API_URL: simulatorUrl('stripe'),
    HUBSPOT_API_URL: simulatorUrl('hubspot'),
    REDIS_URL: env['REDIS_URL']!.replace('@redis:6379', `@127.0.0.1:${redis.port}`),
    API_KEYS_FILE: mounts.get(env['API_KEYS_FILE']!)!,
  });
  // Nothing left pointing at a compose host name.
  for (const [name, value] of Object.entries(env)) expect(value, name).not.toMatch(/\/\/(\S*@)?(simulators|redis|gateway)[:/]/);
  return env;
}

const SERVING = /Tributary is serving \S+ \S+ at (\S+)/;
const startGateway = async (argv = stage.cmd, extraEnv: Record<string, string> = {}) => {
  const gateway = await startLayoutProcess(argv, { cwd: app, env: { ...gatewayEnv(), ...extraEnv }, ready: SERVING, timeoutMs: START_TIMEOUT_MS });
  started.push(gateway);
  return gateway;
};

/** Resolves with the exit code, or 'still running' after SIGNAL_DEADLINE_MS. */
const exitWithin = (exited: Promise<number | null>) => Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), SIGNAL_DEADLINE_MS))]);

describe('the production image\'s files, rebuilt without Docker', () => {
  it('hold the compiled code, its runtime files and production dependencies only', async () => {
    expect((await readdir(app)).sort()).toEqual(['dist', 'node_modules', 'package-lock.json', 'package.json', 'schema']);
    for (const entry of ['dist/main.js', 'dist/simulators/main.js', 'dist/ops/dashboard/index.html']) expect(existsSync(join(app, entry)), entry).toBe(true);
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path && entry.dev).map(([path]) => path);
    expect(devOnly).toContain('node_modules/typescript');
    expect(devOnly).toContain('node_modules/vitest');
    expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
  });

  it('serve in remote mode against the simulators, with Redis behind its password, and stop on SIGTERM', async () => {
    const gateway = await startGateway();
    const url = gateway.ready[1]!;
    const query = '{ customers(first: 2) { edges { node { name payments(first: 1) { edges { node { status } } } crmContact { lifecycleStage } } } } }';
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': DEMO_KEY }, body: JSON.stringify({ query }) });
    const body = (await answer.json()) as { data?: { customers: { edges: Array<{ node: { name: string } }> } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.customers.edges.map(({ node }) => node.name)).toHaveLength(2);
    expect(answer.status).toBe(200);
    // NODE_ENV=production: no anonymous access.
    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect([anonymous.status, ((await anonymous.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);

    const base = new URL(url);
    const ready = await fetch(new URL('/readyz', base));
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    // The Dockerfile's HEALTHCHECK, run as Docker runs it: in the container's environment.
    const [command, ...args] = stage.healthcheck;
    const health = spawnSync(command === 'node' ? process.execPath : command!, args, { env: { ...gatewayEnv(), PORT: base.port }, timeout: START_TIMEOUT_MS });
    expect(health.status, health.stderr?.toString()).toBe(0);
    // The /ops page's files, which tsc does not copy, and uPlot's from node_modules. (Every body
    // is read: a response left unread keeps its connection busy, and the drain waits for it.)
    for (const [asset, source] of [['ops-page.js', 'src/ops/dashboard/ops-page.js'], ['uPlot.esm.js', 'node_modules/uplot/dist/uPlot.esm.js']] as const) {
      const served = await fetch(new URL(`/ops/assets/${asset}`, base));
      expect(await served.text(), asset).toBe(await readFile(join(REPO_ROOT, source), 'utf8'));
    }

    // The entity cache went to Redis, logged in with the password; the password was printed nowhere.
    expect((await redis.keys()).length).toBeGreaterThan(0);
    expect(gateway.output()).not.toContain(REDIS_PASSWORD);

    process.kill(gateway.pid, 'SIGTERM');
    expect(await exitWithin(gateway.exited)).toBe(0);
    expect(gateway.output()).toContain('SIGTERM: shutting down');
  }, PROCESS_TEST_TIMEOUT_MS);

  // Mirrors src/config.ts's production requirements for this environment: client auth, and Redis for webhooks' events.
  it.each(['API_KEYS_FILE', 'REDIS_URL'])('refuse to start in production without %s: exit 2, the variable named, nothing listening', async (variable) => {
    const port = await freePort();
    const env: Record<string, string> = { ...gatewayEnv(), PORT: String(port) };
    delete env[variable];
    const [command, ...args] = stage.cmd;
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(command === 'node' ? process.execPath : command!, args, { cwd: app, env, timeout: START_TIMEOUT_MS }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^Configuration error: .*${variable}`, 'm'));
    // Exit 2 before the SERVING line: it never reached listen (a probe of the port could meet another process that took it since).
    expect(result.stdout).not.toMatch(SERVING);
  }, PROCESS_TEST_TIMEOUT_MS);

  it('serve the explorer from the image\'s own files when production enables it (EXPLORER=local)', async () => {
    const gateway = await startGateway(stage.cmd, { EXPLORER: 'local' });
    const url = gateway.ready[1]!;
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]*explorer\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => /explorer\.[\da-f]+\.js$/.test(asset))).toBe(true);
    for (const asset of assets) {
      const served = await fetch(new URL(asset, url));
      expect(served.status, asset).toBe(200);
      await served.arrayBuffer();
    }
    process.kill(gateway.pid, 'SIGTERM');
    expect(await exitWithin(gateway.exited)).toBe(0);
  }, PROCESS_TEST_TIMEOUT_MS);
});

/**
 * In a container node is PID 1, to which the kernel applies no default signal action: a signal
 * without a handler is ignored, and `docker stop` waits 10 s, then kills. A PID namespace of the
 * test's own makes node PID 1 in the same way (pid_namespaces(7)). Skipped where unprivileged
 * user namespaces are off (`unshare` fails).
 */
const pidNamespaces = spawnSync('unshare', ['--user', '--map-root-user', '--pid', '--fork', 'true']).status === 0;
if (!pidNamespaces && process.env['CI'] === 'true') throw new Error('CI=true but `unshare --user --pid` is not permitted: the PID 1 signal tests cannot run');
if (!pidNamespaces) console.warn('production-layout: `unshare --user --pid` is not permitted here; skipping the PID 1 signal tests');

// Retried: on a machine loaded at 10 and more, the second or third process of this block has twice
// outlived its 50 s bound after its signal (3.6 s and 0.4 s alone), and the cause is not found yet.
describe.skipIf(!pidNamespaces)('the gateway and the simulators as PID 1, as the image runs them', { retry: 2 }, () => {
  /** The host pid of the one process `unshare --fork` started, which is PID 1 in its namespace. */
  const pidOne = (unshare: LayoutProcess) => {
    const child = Number(readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim());
    expect(readFileSync(`/proc/${child}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);
    return child;
  };
  const asPidOne = (argv: string[]) => ['unshare', '--user', '--map-root-user', '--pid', '--kill-child', argv[0] === 'node' ? process.execPath : argv[0]!, ...argv.slice(1)];

  it.each(['SIGTERM', 'SIGINT'] as const)('the gateway drains and exits 0 on %s', async (signal) => {
    const gateway = await startGateway(asPidOne(stage.cmd));
    process.kill(pidOne(gateway), signal);
    expect(await exitWithin(gateway.exited)).toBe(0);
    expect(gateway.output()).toContain(`${signal}: shutting down`);
  }, PROCESS_TEST_TIMEOUT_MS);

  it('the simulators exit 0 on SIGTERM', async () => {
    const env = { PATH: process.env['PATH'] ?? '', ...stage.env, SIM_HOST: '127.0.0.1', SIM_CUSTOMERS_PORT: '0', SIM_STRIPE_PORT: '0', SIM_HUBSPOT_PORT: '0' };
    const sims = await startLayoutProcess(asPidOne(compose.services['simulators']!.command!), { cwd: app, env, ready: /^admin /m, timeoutMs: START_TIMEOUT_MS });
    started.push(sims);
    process.kill(pidOne(sims), 'SIGTERM');
    expect(await exitWithin(sims.exited)).toBe(0);
  }, PROCESS_TEST_TIMEOUT_MS);
});
