import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../src/config.ts';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };

  it('runs the gateway, Redis and the simulators', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'redis', 'simulators']);
    expect(compose.services['simulators']?.command).toEqual(['npm', 'run', 'sim']);
    expect(compose.services['gateway']?.ports).toContain('4000:4000');
  });

  it('configures the gateway only with documented variables, in a way start-up accepts', () => {
    const env = compose.services['gateway']?.environment ?? {};
    for (const key of Object.keys(env)) expect(Object.keys(CONFIG_KEYS)).toContain(key);
    const config = loadConfig(env);
    expect(config.mode).toBe('remote');
    expect(config.providers?.customers.url).toBe('http://simulators:4101');
  });
});
