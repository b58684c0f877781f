import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_URL, parseBenchOptions, type BenchOptions } from '../../bench/bench-options.ts';
import { deployedNodeFlags } from '../../bench/deployed-launch.ts';

const OUT = '/tmp/unused';

function parse(argv: string[]): BenchOptions {
  const options = parseBenchOptions(argv, OUT);
  if (options === 'help') throw new Error('unexpected help');
  return options;
}

describe('tributary-redis in the options', () => {
  it('runs only when --redis is given or --only names it, with the default Redis unless told', () => {
    expect(parse([]).systems).not.toContain('tributary-redis');
    expect(parse([])).not.toHaveProperty('redisUrl');
    expect(parse(['--redis'])).toMatchObject({
      systems: ['ceiling', 'naive', 'datasource-rest', 'tributary-cold', 'tributary-warm', 'tributary-redis'],
      redisUrl: DEFAULT_REDIS_URL,
    });
    expect(parse(['--only', 'tributary-redis,ceiling'])).toMatchObject({ systems: ['ceiling', 'tributary-redis'], redisUrl: 'redis://127.0.0.1:6379' });
    expect(parse(['--redis', '--only', 'tributary-warm', '--redis-url', 'redis://10.0.0.5:6380/2'])).toMatchObject({
      systems: ['tributary-warm', 'tributary-redis'],
      redisUrl: 'redis://10.0.0.5:6380/2',
    });
  });

  it('gives a run with Redis more time, as it has a sixth system', () => {
    expect(parse(['--redis']).timeLimitSeconds).toBeGreaterThan(parse([]).timeLimitSeconds);
  });

  it('soaks tributary-redis with --soak --redis', () => {
    expect(parse(['--soak', '600', '--redis'])).toMatchObject({ systems: ['tributary-redis'], workloads: ['W3'], redisUrl: DEFAULT_REDIS_URL });
    expect(parse(['--soak', '600'])).toMatchObject({ systems: ['tributary-warm'] });
  });

  it('refuses --redis-url without Redis, and a URL that is not redis://', () => {
    expect(() => parse(['--redis-url', 'redis://x:1'])).toThrow('--redis-url only applies with --redis (or --only tributary-redis): "redis://x:1"');
    expect(() => parse(['--redis', '--redis-url', 'http://x'])).toThrow('--redis-url must be a redis:// or rediss:// URL: "http://x"');
    expect(() => parse(['--redis', '--redis-url', 'nope'])).toThrow('--redis-url must be a redis:// or rediss:// URL: "nope"');
  });
});

describe('--alone', () => {
  it('sends 20 operations alone in a full run, 3 in a quick one, none with 0', () => {
    expect(parse([]).aloneRuns).toBe(20);
    expect(parse(['--quick']).aloneRuns).toBe(3);
    expect(parse(['--alone', '0']).aloneRuns).toBe(0);
    expect(() => parse(['--alone', 'many'])).toThrow('--alone must be an integer from 0 to 1000: "many"');
  });
});

describe('the node flags Tributary runs with', () => {
  it('are the Dockerfile\'s with --compiled, so the gateway is measured as the image runs it; peers keep none', () => {
    const flags = deployedNodeFlags();
    expect(flags.length).toBeGreaterThan(0);
    expect(parse(['--compiled'])).toMatchObject({ nodeArgs: [], tributaryNodeArgs: flags });
  });

  it('are --node-args when given, and none under tsx', () => {
    expect(parse(['--compiled', '--node-args=--max-old-space-size=300'])).toMatchObject({ nodeArgs: ['--max-old-space-size=300'], tributaryNodeArgs: ['--max-old-space-size=300'] });
    expect(parse([])).toMatchObject({ nodeArgs: [], tributaryNodeArgs: [] });
  });
});

describe('deployedNodeFlags', () => {
  it('reads the flags between node and dist/main.js in the CMD', () => {
    expect(deployedNodeFlags('FROM x\nCMD ["node", "--a=1", "--b", "dist/main.js"]\n')).toEqual(['--a=1', '--b']);
  });

  it('refuses a CMD it cannot read rather than measuring something else', () => {
    expect(() => deployedNodeFlags('FROM x\n')).toThrow('the Dockerfile\'s CMD is not ["node", …flags, "dist/main.js"]: no CMD');
    expect(() => deployedNodeFlags('CMD ["npm", "start"]\n')).toThrow('the Dockerfile\'s CMD is not');
  });
});
