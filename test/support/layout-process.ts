import { spawn } from 'node:child_process';

/** A process of a rebuilt image layout, started as its container would start it. */
export interface LayoutProcess {
  pid: number;
  /** What `ready` matched in its stdout. */
  ready: RegExpExecArray;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its exit code (null when a signal ended it), once it has exited. */
  exited: Promise<number | null>;
  /** Sends SIGKILL if it still runs; for clean-up. */
  kill(): Promise<void>;
}

/**
 * Starts `argv` (a `node` first word is this Node) in `cwd` with `env` alone and resolves once
 * its stdout matches `ready`; rejects, with what it wrote, if it exits first or not in time.
 */
export function startLayoutProcess(argv: string[], options: { cwd: string; env: Record<string, string>; ready: RegExp; timeoutMs?: number }): Promise<LayoutProcess> {
  const [command, ...args] = argv;
  const child = spawn(command === 'node' ? process.execPath : command!, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`${argv.join(' ')} did not print ${options.ready}: ${output}`));
    }, options.timeoutMs ?? 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready: ${output}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = options.ready.exec(output);
      if (ready && child.pid !== undefined) {
        clearTimeout(timer);
        resolve({ pid: child.pid, ready, output: () => output, exited, kill });
      }
    });
  });
}
