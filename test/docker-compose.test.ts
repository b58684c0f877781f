import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployedNodeFlags } from '../bench/deployed-launch.ts';
import { CONFIG_KEYS, loadConfig } from '../src/config.ts';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Published ports as Compose's short syntax writes them: [host-ip:]host-port:container-port. */
function hostIpOf(port: string): string | undefined {
  const parts = port.split(':');
  return parts.length === 3 ? parts[0] : undefined;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
  const gateway = compose.services['gateway']!;
  const env = gateway.environment ?? {};
  /** Container paths of the gateway's bind mounts → the files in this repository. */
  const mounts = new Map(
    (gateway.volumes ?? []).map((volume) => {
      const [host, container] = volume.split(':');
      return [container!, fileURLToPath(new URL(host!, root))] as const;
    }),
  );

  it('starts the gateway exactly as the image does, with the heap flags the bench measures', () => {
    expect(gateway.command).toEqual(['node', ...deployedNodeFlags(), 'dist/main.js']);
  });

  it('runs the gateway, Redis and the simulators', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'redis', 'simulators']);
    expect(compose.services['simulators']?.command).toEqual(['npm', 'run', 'sim']);
    expect(gateway.ports).toContain('127.0.0.1:4000:4000');
  });

  it('configures the gateway only with documented variables, in a way start-up accepts', () => {
    for (const key of Object.keys(env)) expect(Object.keys(CONFIG_KEYS)).toContain(key);
    // Files the container reads are the repository's, as the compose file mounts them.
    const config = loadConfig(Object.fromEntries(Object.entries(env).map(([key, value]) => [key, mounts.get(value) ?? value])));
    expect(config.mode).toBe('remote');
    expect(config.production).toBe(true);
    expect(config.providers?.customers.url).toBe('http://simulators:4101');
  });

  it('publishes neither Redis nor the simulators\' admin ports to every interface', () => {
    const redis = compose.services['redis']!;
    // Redis without a password: reachable on the compose network only.
    if (!redis.command?.includes('--requirepass')) expect(redis.ports ?? []).toEqual([]);
    for (const port of [...(redis.ports ?? []), ...(compose.services['simulators']!.ports ?? [])]) expect(hostIpOf(port)).toBe('127.0.0.1');
  });

  it('gives the gateway a demo API key whose key the README names as demo-only', () => {
    expect(env['NODE_ENV']).toBe('production');
    const file = mounts.get(env['API_KEYS_FILE'] ?? '');
    expect(file).toMatch(/deploy\/api-keys\.demo\.yaml$/);
    const demoKey = 'tributary-demo-key-do-not-use-in-production';
    const keys = (parse(readFileSync(file!, 'utf8')) as { keys: Array<{ sha256: string; tenant: string }> }).keys;
    expect(keys.map((key) => key.sha256)).toEqual([createHash('sha256').update(demoKey).digest('hex')]);
    expect(read('README.md')).toMatch(new RegExp(`${demoKey}[^\\n]*demo|demo[^\\n]*${demoKey}`, 'i'));
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile').split('\n').map((line) => line.trim());
  const finalStage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));

  it('runs as a non-root user with NODE_ENV=production', () => {
    const users = finalStage.filter((line) => /^USER\s/i.test(line)).map((line) => line.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0', 'root:root']).not.toContain(users.at(-1));
    // Nothing after the last USER switches back or runs as root.
    expect(finalStage.slice(finalStage.findLastIndex((line) => /^USER\s/i.test(line)) + 1).filter((line) => /^RUN\s/i.test(line))).toEqual([]);
    expect(finalStage).toContain('ENV NODE_ENV=production');
  });
});
