import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/** A gateway in a process of its own (`tsx src/main.ts`), for tests that kill it. */
export interface GatewayProcess {
  /** The GraphQL endpoint it printed. */
  url: string;
  pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `src/main.ts` with `env` alone (plus PATH, PORT=0 and HOST=127.0.0.1) and resolves once
 * it prints where it serves, as main.test.ts learns the port; rejects if it exits first.
 */
export function spawnGateway(env: Record<string, string>, startTimeoutMs = 30_000): Promise<GatewayProcess> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill('SIGKILL');
      reject(new Error(`the gateway printed no URL: ${output}`));
    }, startTimeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited before serving: ${output}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Tributary is serving \S+ \S+ at (\S+)/.exec(output);
      if (match?.[1] && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ url: match[1], pid: child.pid, output: () => output, kill });
      }
    });
  });
}
