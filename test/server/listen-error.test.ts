import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { listenError } from '../../src/server/listen-error.ts';
import { start } from '../../src/server/start.ts';

describe('a gateway that cannot bind names the variable to change', () => {
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  const startWith = (env: Record<string, string>) => start(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env }));

  it('names PORT when another process holds the port', async () => {
    await expect(startWith({ PORT: String(takenPort) })).rejects.toMatchObject({
      name: 'ConfigError',
      variable: 'PORT',
      message: `PORT: 127.0.0.1:${takenPort} is already in use by another process (EADDRINUSE); choose another port, or 0 for any free one`,
    });
  });

  it('names HOST when it is not an address of this machine', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    await expect(startWith({ HOST: '192.0.2.1' })).rejects.toMatchObject({ name: 'ConfigError', variable: 'HOST', message: expect.stringContaining('EADDRNOTAVAIL') });
  });

  it('names METRICS_PORT when the metrics server\'s port is taken', async () => {
    await expect(startWith({ METRICS_PORT: String(takenPort) })).rejects.toMatchObject({ name: 'ConfigError', variable: 'METRICS_PORT' });
  });

  it('names HOST for a name that does not resolve, and passes any other error through', () => {
    const lookup = Object.assign(new Error('getaddrinfo ENOTFOUND gw.invalid'), { code: 'ENOTFOUND' });
    expect(listenError(lookup, { host: 'gw.invalid', port: 4000, hostVariable: 'HOST', portVariable: 'PORT' })).toMatchObject({
      variable: 'HOST',
      message: 'HOST: "gw.invalid" could not be resolved to an address (ENOTFOUND)',
    });
    const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    expect(listenError(denied, { host: '0.0.0.0', port: 80, hostVariable: 'METRICS_HOST', portVariable: 'METRICS_PORT' })).toMatchObject({ variable: 'METRICS_PORT' });
    const other = new Error('boom');
    expect(listenError(other, { host: '0.0.0.0', port: 80, hostVariable: 'HOST', portVariable: 'PORT' })).toBe(other);
  });
});
