import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MEMORY_REQUEST, type ProcessMemory } from './memory-probe.ts';

/** The repository root: scripts are given relative to it, and children run in it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const OUTPUT_LINES_KEPT = 40;

/**
 * Only what a Node process needs from the harness's own environment. Everything else is left out
 * on purpose: a provider URL, a Redis URL or NODE_OPTIONS in the caller's shell must not change
 * what a system under test does.
 */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'TZ'];

export interface ServiceOptions {
  keepStdin?: boolean;
  /** Node flags before the script, e.g. `--max-semi-space-size=2`. */
  nodeArgs?: readonly string[];
  /** Load bench/memory-probe-agent.mjs and open an IPC channel to it, for `memory()`. */
  memoryProbe?: boolean;
}

/** USER_HZ: Linux reports CPU times in /proc in hundredths of a second on every architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** How long the probe may take to answer: the process may be busy executing a large operation. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * One system under test, or the simulators, as a child process: `node --import tsx <script>`
 * run directly (not through npm), so `pid` is the Node process whose memory we read.
 */
export class ServiceProcess {
  readonly name: string;
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  #exitCode: number | null | undefined;
  #exitSignal: NodeJS.Signals | null = null;

  constructor(name: string, script: string, env: Record<string, string>, options: ServiceOptions = {}) {
    this.name = name;
    const inherited = Object.fromEntries(INHERITED_VARIABLES.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
    const probe = options.memoryProbe ? ['--import', './bench/memory-probe-agent.mjs'] : [];
    // Compiled JavaScript runs as deployed; TypeScript goes through tsx's loader.
    const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    this.#child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, ...probe, script], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...env },
      stdio: [options.keepStdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.memoryProbe ? (['ipc'] as const) : [])],
    });
    RUNNING.add(this.#child);
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        RUNNING.delete(this.#child);
        this.#exitCode = code;
        this.#exitSignal = signal;
        resolve(code);
      });
      this.#child.once('error', (error) => {
        this.#remember(`spawn failed: ${error.message}`);
        RUNNING.delete(this.#child);
        this.#exitCode = null;
        resolve(null);
      });
    });
    this.#child.stdout?.setEncoding('utf8').on('data', (text: string) => this.#remember(text));
    this.#child.stderr?.setEncoding('utf8').on('data', (text: string) => this.#remember(text));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** How it ended, for messages: `code 1`, `signal SIGKILL`, or `running`. */
  get exitStatus(): string {
    if (this.#exitCode === undefined) return 'running';
    return this.#exitSignal ? `signal ${this.#exitSignal}` : `code ${this.#exitCode}`;
  }

  /** The last lines the process wrote (standard output and error together), for failure messages. */
  output(): string {
    return this.#output.join('\n');
  }

  /** Resolves with the first line of standard output, e.g. the simulators' addresses. */
  firstLine(timeoutMs: number): Promise<string> {
    const stdout = this.#child.stdout;
    if (!stdout) return Promise.reject(new Error(`${this.name}: no standard output`));
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => done(new Error(`${this.name} printed nothing within ${timeoutMs} ms\n${this.output()}`)), timeoutMs);
      const onData = (text: string) => {
        buffered += text;
        const newline = buffered.indexOf('\n');
        if (newline >= 0) done(undefined, buffered.slice(0, newline));
      };
      const onExit = () => done(new Error(`${this.name} exited before it was ready\n${this.output()}`));
      const done = (error?: Error, line?: string) => {
        clearTimeout(timer);
        stdout.off('data', onData);
        this.#child.off('exit', onExit);
        if (error) reject(error);
        else resolve(line ?? '');
      };
      stdout.on('data', onData);
      this.#child.once('exit', onExit);
    });
  }

  /** Polls `isReady` every 100 ms until it says yes; fails when the process exits or time runs out. */
  async waitUntilReady(isReady: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited (${this.exitStatus}) before it was ready\n${this.output()}`);
      if (await isReady().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms\n${this.output()}`);
  }

  /**
   * The process's peak resident set size so far (`VmHWM` in /proc/<pid>/status), in bytes;
   * undefined where /proc is not available.
   */
  peakRssBytes(): number | undefined {
    return this.#procStatus('VmHWM');
  }

  /** The process's resident set size now (`VmRSS`), in bytes; undefined where /proc is not available. */
  rssBytes(): number | undefined {
    return this.#procStatus('VmRSS');
  }

  /**
   * CPU time the process has used so far (user + system, from /proc/<pid>/stat), in seconds;
   * undefined where /proc is not available. Per response, it compares runs on a machine whose
   * other load moves req/s from one minute to the next.
   */
  cpuSeconds(): number | undefined {
    if (this.pid === undefined || !this.running) return undefined;
    try {
      // Fields after the command name, which is in brackets and may hold spaces: utime and stime
      // are the 14th and 15th fields of the line, in clock ticks (USER_HZ, 100 on Linux).
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * What the memory probe reports (heap, external, GC counts); undefined without a probe, or when
   * it does not answer within PROBE_TIMEOUT_MS.
   */
  memory(): Promise<ProcessMemory | undefined> {
    const child = this.#child;
    if (!this.running || !child.connected) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), PROBE_TIMEOUT_MS);
      const onMessage = (message: unknown) => done(message as ProcessMemory);
      const done = (memory: ProcessMemory | undefined) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(memory);
      };
      child.on('message', onMessage);
      child.send(MEMORY_REQUEST, (error) => {
        if (error) done(undefined);
      });
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** A `kB` line of /proc/<pid>/status, in bytes. */
  #procStatus(field: 'VmHWM' | 'VmRSS'): number | undefined {
    if (this.pid === undefined || !this.running) return undefined;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kib = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status)?.[1];
      return kib === undefined ? undefined : Number(kib) * 1024;
    } catch {
      return undefined;
    }
  }

  #remember(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.#output.push(line);
      if (this.#output.length > OUTPUT_LINES_KEPT) this.#output.shift();
    }
  }
}

const RUNNING = new Set<ChildProcess>();

/**
 * Kills every child still running, at once and synchronously: for the harness's exit, SIGINT and
 * failure paths, where there is no time to wait for graceful shutdowns.
 */
export function killAllServices(): void {
  for (const child of RUNNING) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  RUNNING.clear();
}

/** A port that was free a moment ago on loopback. A child may lose the race for it; rare, and it then fails to start loudly. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
