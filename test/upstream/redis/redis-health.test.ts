import { describe, expect, it } from 'vitest';
import { RedisHealth, type RedisHealthOptions, type RedisHealthState, type Timers } from '../../../src/upstream/redis/redis-health.ts';

/** Timers that fire only when the test moves the clock. */
class ManualClock implements Timers {
  time = 0;
  private nextId = 1;
  private readonly tasks = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }

  get pending(): number {
    return this.tasks.size;
  }

  /** Moves time forward, firing what falls due in order and letting each probe settle. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.tasks.entries()].filter(([, task]) => task.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.tasks.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
      await settle();
    }
    this.time = until;
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const INTERVAL_MS = 250;

function healthWith(overrides: Partial<RedisHealthOptions> = {}) {
  const clock = new ManualClock();
  const changes: Array<RedisHealthState['kind']> = [];
  /** What the next probes find, in order; a probe beyond the list finds Redis answering. */
  const answers: boolean[] = [];
  let probes = 0;
  const health = new RedisHealth({
    probe: async () => {
      probes += 1;
      if (answers.shift() === false) throw new Error('no answer within 100 ms');
    },
    onChange: (next) => changes.push(next.kind),
    failuresToDown: 3,
    probesToUp: 2,
    probeIntervalMs: INTERVAL_MS,
    timers: clock,
    now: () => clock.time,
    ...overrides,
  });
  return { health, clock, changes, answers, probes: () => probes };
}

describe('RedisHealth', () => {
  it('stays up through a slow command, and an answer in between starts the count again', () => {
    const { health, changes } = healthWith();
    health.connected();
    health.failed('no answer within 100 ms');
    health.failed('no answer within 100 ms');
    health.succeeded();
    health.failed('no answer within 100 ms');
    health.failed('no answer within 100 ms');
    expect(health.state.kind).toBe('up');
    health.failed('no answer within 100 ms');
    expect(health.state).toMatchObject({ kind: 'down', reason: '3 commands in a row failed, the last with: no answer within 100 ms' });
    expect(changes).toEqual(['up', 'down']);
  });

  it('goes down at once when the connection is lost', () => {
    const { health, changes } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    expect(health.state).toMatchObject({ kind: 'down', reason: 'read ECONNRESET' });
    expect(changes).toEqual(['up', 'down']);
  });

  it('comes back after two answered probes in a row, one interval apart, without waiting for the client to reconnect', async () => {
    const { health, clock, changes, probes } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    await clock.advance(INTERVAL_MS - 1);
    expect(probes()).toBe(0);
    await clock.advance(1);
    expect(probes()).toBe(1);
    expect(health.state.kind).toBe('down');
    await clock.advance(INTERVAL_MS);
    expect(probes()).toBe(2);
    expect(health.state).toEqual({ kind: 'up', failures: 0 });
    expect(changes).toEqual(['up', 'down', 'up']);
    await clock.advance(10 * INTERVAL_MS);
    expect(probes()).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('needs the answered probes in a row: an unanswered one starts the count again', async () => {
    const { health, clock, answers, probes } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    answers.push(true, false, true);
    await clock.advance(3 * INTERVAL_MS);
    expect(probes()).toBe(3);
    expect(health.state.kind).toBe('down');
    await clock.advance(INTERVAL_MS);
    expect(health.state.kind).toBe('up');
  });

  it('keeps probing while Redis does not answer, and reports each change once', async () => {
    const { health, clock, changes, answers, probes } = healthWith();
    health.connected();
    for (let i = 0; i < 3; i += 1) health.failed('no answer within 100 ms');
    answers.push(...Array<boolean>(20).fill(false));
    health.lost('connect ECONNREFUSED'); // reconnect attempts keep failing while down
    await clock.advance(20 * INTERVAL_MS);
    expect(probes()).toBe(20);
    expect(health.state.kind).toBe('down');
    await clock.advance(2 * INTERVAL_MS);
    expect(health.state.kind).toBe('up');
    expect(changes).toEqual(['up', 'down', 'up']);
  });

  it('probes at once when the client reconnects, but still wants two answers in a row', async () => {
    const { health, clock, probes } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    health.connected();
    await clock.advance(0);
    expect(probes()).toBe(1);
    expect(health.state.kind).toBe('down');
    await clock.advance(INTERVAL_MS);
    expect(probes()).toBe(2);
    expect(health.state.kind).toBe('up');
  });

  it('forgets answered probes when the connection is lost again in between', async () => {
    const { health, clock } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    await clock.advance(INTERVAL_MS);
    health.lost('connect ECONNREFUSED');
    await clock.advance(INTERVAL_MS);
    expect(health.state.kind).toBe('down');
    await clock.advance(INTERVAL_MS);
    expect(health.state.kind).toBe('up');
  });

  it('ignores failures of commands sent before it went down', async () => {
    const { health, clock } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    await clock.advance(INTERVAL_MS);
    health.failed('no answer within 100 ms');
    await clock.advance(INTERVAL_MS);
    expect(health.state.kind).toBe('up');
  });

  it('stops probing once closed', async () => {
    const { health, clock, probes, changes } = healthWith();
    health.connected();
    health.lost('read ECONNRESET');
    health.close();
    await clock.advance(10 * INTERVAL_MS);
    expect(probes()).toBe(0);
    expect(clock.pending).toBe(0);
    expect(health.state.kind).toBe('closed');
    expect(changes).toEqual(['up', 'down']);
  });

  it('rejects options that cannot work, naming what it expected and what came', () => {
    expect(() => healthWith({ failuresToDown: 0 })).toThrow(new TypeError('failuresToDown must be a positive integer: 0'));
    expect(() => healthWith({ probesToUp: 1.5 })).toThrow(new TypeError('probesToUp must be a positive integer: 1.5'));
    expect(() => healthWith({ probeIntervalMs: 0 })).toThrow(new TypeError('probeIntervalMs must be a positive number: 0'));
  });
});
