import { ConfigError } from '../config-error.ts';

/** The variables that chose an address a server failed to bind. */
export interface ListenTarget {
  host: string;
  port: number;
  hostVariable: 'HOST' | 'METRICS_HOST';
  portVariable: 'PORT' | 'METRICS_PORT';
}

/**
 * Turns a failure to bind into a ConfigError naming the variable to change; Node's own message
 * (`getaddrinfo ENOTFOUND gw.internal`, `listen EADDRINUSE :::4000`) names neither. Any other
 * error is returned as it is.
 */
export function listenError(error: unknown, target: ListenTarget): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${target.host}:${target.port}`;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(target.hostVariable, `${JSON.stringify(target.host)} could not be resolved to an address (${code})`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(target.hostVariable, `${JSON.stringify(target.host)} is not an address of this machine (${code}); use one of its interfaces, or 0.0.0.0 for all`);
    case 'EADDRINUSE':
      return new ConfigError(target.portVariable, `${where} is already in use by another process (${code}); choose another port, or 0 for any free one`);
    case 'EACCES':
      return new ConfigError(target.portVariable, `this process may not listen on ${where} (${code}); ports below 1024 need privileges`);
    default:
      return error;
  }
}

/** Runs `listen`, naming HOST/PORT (or METRICS_HOST/METRICS_PORT) when it cannot bind. */
export async function listenOn<T>(target: ListenTarget, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    throw listenError(error, target);
  }
}
