import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployedNodeFlags } from '../bench/deployed-launch.ts';
import { CONFIG_KEYS, loadConfig } from '../src/config.ts';
import { readComposeFile, type ComposeService as Service } from './support/compose-file.ts';

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Published ports as Compose's short syntax writes them: [host-ip:]host-port:container-port. */
function hostIpOf(port: string): string | undefined {
  const parts = port.split(':');
  return parts.length === 3 ? parts[0] : undefined;
}

/** Container paths of a service's bind mounts → the files in this repository. */
function mountsOf(service: Service): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((volume) => {
      const [host, container] = volume.split(':');
      return [container!, fileURLToPath(new URL(host!, root))] as const;
    }),
  );
}

// As `docker compose up` reads it with no REDIS_PASSWORD set: the demo defaults.
const compose = readComposeFile();

describe('docker-compose.yml', () => {
  const gateway = compose.services['gateway']!;
  const env = gateway.environment ?? {};
  const mounts = mountsOf(gateway);

  it('starts the gateway exactly as the image does, with the heap flags the bench measures', () => {
    expect(gateway.command).toEqual(['node', ...deployedNodeFlags(), 'dist/main.js']);
  });

  it('runs the gateway, Redis, the simulators, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'grafana', 'prometheus', 'redis', 'simulators']);
    // Compiled, as the gateway: the image has no TypeScript loader.
    expect(compose.services['simulators']?.command).toEqual(['node', 'dist/simulators/main.js']);
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

  it('publishes Redis nowhere and the simulators\' admin ports on this machine\'s loopback only', () => {
    expect(compose.services['redis']!.ports ?? []).toEqual([]);
    const simulatorPorts = compose.services['simulators']!.ports ?? [];
    expect(simulatorPorts.length).toBe(3);
    for (const port of simulatorPorts) expect(hostIpOf(port)).toBe('127.0.0.1');
  });

  it('gives Redis a password, REDIS_PASSWORD or a demo default, that the gateway and redis-cli log in with', () => {
    const passwordsOf = (services: Record<string, Service>) => {
      const redis = services['redis']!;
      const command = redis.command ?? [];
      return {
        requirepass: command[command.indexOf('--requirepass') + 1],
        redisUrl: decodeURIComponent(new URL(services['gateway']!.environment?.['REDIS_URL'] ?? '').password),
        redisCli: redis.environment?.['REDISCLI_AUTH'],
      };
    };
    const demo = passwordsOf(compose.services);
    expect(demo.requirepass).toMatch(/demo/);
    expect(demo).toEqual({ requirepass: demo.requirepass, redisUrl: demo.requirepass, redisCli: demo.requirepass });
    const chosen = 'an-operators-own-password';
    expect(passwordsOf(readComposeFile({ REDIS_PASSWORD: chosen }).services)).toEqual({ requirepass: chosen, redisUrl: chosen, redisCli: chosen });
  });

  it('starts the gateway once Redis and the simulators answer their healthchecks', () => {
    expect(gateway.depends_on).toEqual({ redis: { condition: 'service_healthy' }, simulators: { condition: 'service_healthy' } });
    // redis-cli exits 0 on NOAUTH as on PONG: only the answer tells them apart.
    expect(compose.services['redis']!.healthcheck?.test).toEqual(['CMD-SHELL', 'redis-cli ping | grep -q PONG']);
    // The simulators share the gateway's image, whose HEALTHCHECK asks for the gateway's /readyz.
    const simulators = compose.services['simulators']!;
    const [kind, node, flag, script] = simulators.healthcheck?.test ?? [];
    expect([kind, node, flag]).toEqual(['CMD', 'node', '-e']);
    for (const port of simulators.ports ?? []) expect(script).toContain(`${port.split(':').at(-1)}`);
    expect(script).toContain('/_sim/stats');
    // The gateway keeps the image's own.
    expect(gateway.healthcheck).toBeUndefined();
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

describe('Prometheus and Grafana in docker-compose.yml', () => {
  const prometheus = compose.services['prometheus']!;
  const grafana = compose.services['grafana']!;
  const gatewayEnv = compose.services['gateway']!.environment ?? {};
  const prometheusMounts = mountsOf(prometheus);
  const grafanaMounts = mountsOf(grafana);
  /** The repository file or folder a container path lies in or under, through the service's mounts. */
  const hostPathOf = (mounts: Map<string, string>, path: string) => {
    for (const [container, host] of mounts) if (path === container || path.startsWith(`${container}/`)) return host + path.slice(container.length);
    return undefined;
  };

  it('publishes both on this machine\'s loopback only', () => {
    for (const service of [prometheus, grafana]) {
      expect(service.ports?.length).toBeGreaterThan(0);
      for (const port of service.ports ?? []) expect(hostIpOf(port)).toBe('127.0.0.1');
    }
  });

  it('mounts files of this repository, read-only', () => {
    for (const service of [prometheus, grafana]) {
      for (const volume of service.volumes ?? []) expect(volume.endsWith(':ro'), volume).toBe(true);
      for (const host of mountsOf(service).values()) expect(existsSync(host), host).toBe(true);
    }
  });

  it('has Prometheus load the rule files promtool checks, and scrape the gateway with its METRICS_TOKEN', () => {
    const configPath = '/etc/prometheus/prometheus.yml';
    const hostConfig = prometheusMounts.get(configPath);
    expect(hostConfig).toBe(fileURLToPath(new URL('ops/prometheus/prometheus.yml', root)));
    const config = parse(readFileSync(hostConfig!, 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }>; metrics_path?: string; authorization?: { type?: string; credentials?: string } }>;
    };
    // Prometheus reads rule files relative to its config: the same file in the container as in the repository.
    expect(config.rule_files.length).toBeGreaterThan(0);
    for (const file of config.rule_files) {
      expect(hostPathOf(prometheusMounts, posix.resolve(posix.dirname(configPath), file)), file).toBe(resolve(dirname(hostConfig!), file));
    }
    const [job] = config.scrape_configs;
    expect(job?.static_configs.flatMap((group) => group.targets)).toEqual([`gateway:${gatewayEnv['PORT']}`]);
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(gatewayEnv['METRICS_TOKEN']).toMatch(/demo/);
    expect(job?.authorization?.type ?? 'Bearer').toBe('Bearer');
    expect(job?.authorization?.credentials).toBe(gatewayEnv['METRICS_TOKEN']);
  });

  it('has Grafana provision the compose Prometheus and the dashboards of ops/grafana/dashboards', () => {
    const datasources = parse(readFileSync(hostPathOf(grafanaMounts, '/etc/grafana/provisioning/datasources/prometheus.yml')!, 'utf8')) as { datasources: Array<{ uid: string; url: string }> };
    const prometheusPort = (prometheus.ports ?? []).map((port) => port.split(':').at(-1))[0];
    expect(datasources.datasources.map((source) => source.url)).toEqual([`http://prometheus:${prometheusPort}`]);

    const providers = parse(readFileSync(hostPathOf(grafanaMounts, '/etc/grafana/provisioning/dashboards/tributary.yml')!, 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const dashboardDir = hostPathOf(grafanaMounts, providers.providers[0]!.options.path);
    expect(dashboardDir).toBe(fileURLToPath(new URL('ops/grafana/dashboards', root)));
    expect(statSync(dashboardDir!).isDirectory()).toBe(true);
    expect(existsSync(hostPathOf(grafanaMounts, grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '') ?? '')).toBe(true);

    // Every panel and variable queries the provisioned data source, by its uid.
    const dashboard = read('ops/grafana/dashboards/tributary.json');
    const uids = new Set([...dashboard.matchAll(/"type": "prometheus",\s*"uid": "([^"]+)"/g)].map((match) => match[1]));
    expect([...uids]).toEqual([datasources.datasources[0]!.uid]);
  });
});
