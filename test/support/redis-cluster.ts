import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { freePort, ping } from './redis.ts';

const run = promisify(execFile);

/** Redis Cluster's bus listens on the client port + 10000 (Redis Cluster spec, "Cluster bus"). */
const BUS_OFFSET = 10_000;
const READY_WITHIN_MS = 15_000; // 15 s: three servers, slot assignment, and the nodes' handshake

/**
 * Whether the Redis Cluster suites can run: they need `redis-server` and `redis-cli` on the PATH
 * and start their own cluster. Outside CI missing tools skip them; in CI (CI=true) they fail the
 * run, so a green CI always means they ran. A cluster that does not start with the tools present
 * fails its suite either way.
 */
export async function redisClusterForTests(): Promise<boolean> {
  const missing: string[] = [];
  for (const tool of ['redis-server', 'redis-cli']) {
    await run(tool, ['--version']).catch(() => missing.push(tool));
  }
  if (missing.length > 0 && process.env['CI'] === 'true') {
    throw new Error(`CI=true but ${missing.join(' and ')} cannot run: the Redis Cluster suites cannot run`);
  }
  return missing.length === 0;
}

/** A 3-master Redis Cluster of the test's own, on free ports, in a temporary directory. */
export class RedisClusterForTests {
  private readonly processes: ChildProcess[] = [];

  private constructor(
    readonly ports: readonly number[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisClusterForTests> {
    const ports: number[] = [];
    while (ports.length < 3) {
      const port = await freePort();
      if (!ports.includes(port) && port + BUS_OFFSET <= 65_535 && (await isFree(port + BUS_OFFSET))) ports.push(port);
    }
    const cluster = new RedisClusterForTests(ports, mkdtempSync(join(tmpdir(), 'tributary-cluster-')));
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `host:port` of each master, as REDIS_CLUSTER_NODES takes them. */
  get nodes(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  /** Stops every node by its PID and removes the nodes' files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    for (const port of this.ports) {
      const child = spawn(
        'redis-server',
        // prettier-ignore
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
          '--save', '', '--appendonly', 'no', '--dir', this.dir],
        { stdio: 'ignore' },
      );
      this.processes.push(child);
      child.once('error', () => undefined); // a missing binary shows as a node that never answers
    }
    const deadline = Date.now() + READY_WITHIN_MS;
    await until(deadline, async () => (await Promise.all(this.nodes.map((node) => ping(`redis://${node}`, 200)))).every(Boolean), 'the nodes to answer');
    await run('redis-cli', ['--cluster', 'create', ...this.nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: READY_WITHIN_MS });
    // `--cluster create` returns once the slots are assigned; each node reports ok only when it
    // has heard from the others, and a client connecting before that can get CLUSTERDOWN.
    await until(deadline, async () => (await Promise.all(this.ports.map(clusterStateOk))).every(Boolean), 'cluster_state:ok on every node');
  }
}

async function clusterStateOk(port: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']).catch(() => ({ stdout: '' }));
  return /^cluster_state:ok\s*$/m.test(stdout);
}

/** Polls every 50 ms until `ready` holds; fails with `what` past the deadline. */
async function until(deadline: number, ready: () => Promise<boolean>, what: string): Promise<void> {
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: no ${what} within ${READY_WITHIN_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
