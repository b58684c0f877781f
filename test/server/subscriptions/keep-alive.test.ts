import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { KeepAlive, type IntervalTimers } from '../../../src/server/subscriptions/keep-alive.ts';

class FakeTimers implements IntervalTimers {
  callback: (() => void) | undefined;
  cleared = false;
  setInterval(callback: () => void) {
    this.callback = callback;
    return 1;
  }
  clearInterval() {
    this.cleared = true;
  }
  tick() {
    this.callback?.();
  }
}

class FakeSocket extends EventEmitter {
  pings = 0;
  terminated = false;
  ping() {
    this.pings += 1;
  }
  terminate() {
    this.terminated = true;
  }
  pong() {
    this.emit('pong');
  }
}

describe('WebSocket keep-alive', () => {
  it('pings every interval and keeps a socket that answers', () => {
    const timers = new FakeTimers();
    const keepAlive = new KeepAlive(30_000, timers);
    const socket = new FakeSocket();
    keepAlive.watch(socket);
    for (let round = 0; round < 3; round += 1) {
      timers.tick();
      socket.pong();
    }
    expect(socket.pings).toBe(3);
    expect(socket.terminated).toBe(false);
  });

  it('terminates a socket that missed a pong, at the next interval, and stops watching it', () => {
    const timers = new FakeTimers();
    const keepAlive = new KeepAlive(30_000, timers);
    const silent = new FakeSocket();
    const lively = new FakeSocket();
    keepAlive.watch(silent);
    keepAlive.watch(lively);
    timers.tick();
    lively.pong();
    expect(silent.terminated).toBe(false);
    timers.tick();
    expect(silent.terminated).toBe(true);
    expect(lively.terminated).toBe(false);
    expect(keepAlive.watching).toBe(1);
  });

  it('forgets a closed socket, and stops its timer on close', () => {
    const timers = new FakeTimers();
    const keepAlive = new KeepAlive(30_000, timers);
    const socket = new FakeSocket();
    const unwatch = keepAlive.watch(socket);
    unwatch();
    timers.tick();
    expect(socket.pings).toBe(0);
    keepAlive.close();
    expect(timers.cleared).toBe(true);
  });

  it('refuses an interval that is not a positive integer', () => {
    expect(() => new KeepAlive(0, new FakeTimers())).toThrow('intervalMs must be a positive integer: 0');
  });
});
