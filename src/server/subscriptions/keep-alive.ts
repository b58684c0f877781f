/** What keep-alive needs of a socket (a `ws` WebSocket has it). */
export interface PingableSocket {
  ping(): void;
  terminate(): void;
  on(event: 'pong', listener: () => void): unknown;
}

export interface IntervalTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const NODE_TIMERS: IntervalTimers = {
  // Unref'd: pings alone must not keep a process alive that has nothing else to do.
  setInterval: (callback, ms) => setInterval(callback, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/**
 * WebSocket-level pings (RFC 6455 §5.5.2) on every watched socket, one sweep for all of them: a
 * socket that has not answered the previous sweep's ping is terminated, so a peer that vanished
 * (a laptop closed, a NAT entry dropped) does not hold its subscriptions for ever; the pings also
 * keep idle connections open through proxies. A socket gets one to two intervals to answer.
 */
export class KeepAlive {
  private readonly answered = new Map<PingableSocket, boolean>();
  private readonly handle: unknown;

  constructor(
    intervalMs: number,
    private readonly timers: IntervalTimers = NODE_TIMERS,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new TypeError(`intervalMs must be a positive integer: ${intervalMs}`);
    this.handle = timers.setInterval(() => this.sweep(), intervalMs);
  }

  /** Starts pinging `socket`; call the returned function once it has closed. */
  watch(socket: PingableSocket): () => void {
    this.answered.set(socket, true);
    socket.on('pong', () => {
      if (this.answered.has(socket)) this.answered.set(socket, true);
    });
    return () => this.answered.delete(socket);
  }

  get watching(): number {
    return this.answered.size;
  }

  close(): void {
    this.timers.clearInterval(this.handle);
    this.answered.clear();
  }

  // Private: one round.
  private sweep(): void {
    for (const [socket, answered] of this.answered) {
      if (!answered) {
        this.answered.delete(socket);
        socket.terminate();
        continue;
      }
      this.answered.set(socket, false);
      try {
        socket.ping();
      } catch {
        // Not open any more: its close event is on its way and ends the watch.
      }
    }
  }
}
