import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/upstream/fair-queue.ts';

/** Serves the whole queue, head first. */
function drain(queue: FairQueue<string>): string[] {
  const order: string[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) order.push(item);
  return order;
}

describe('FairQueue', () => {
  it('serves one key alone in arrival order', () => {
    const queue = new FairQueue<string>();
    for (const item of ['a0', 'a1', 'a2', 'a3']) queue.push('a', item);
    expect(drain(queue)).toEqual(['a0', 'a1', 'a2', 'a3']);
  });

  it('serves a newcomer from a quiet key within the next round, ahead of a flood\'s backlog', () => {
    const queue = new FairQueue<string>();
    for (let i = 0; i < 50; i += 1) queue.push('flood', `f${i}`);
    queue.shift();
    queue.shift();
    expect(queue.positionFor('quiet')).toBe(1);
    expect(queue.push('quiet', 'q')).toBe(1);
    expect(drain(queue).slice(0, 3)).toEqual(['f2', 'q', 'f3']);
  });

  it('takes turns across keys, each key in its own order, whatever the arrival order', () => {
    const queue = new FairQueue<string>();
    for (const item of ['a0', 'a1', 'a2', 'a3']) queue.push('a', item);
    for (const item of ['b0', 'b1']) queue.push('b', item);
    queue.push('', 'x0');
    expect(queue.sizeOf('a')).toBe(4);
    expect(drain(queue)).toEqual(['a0', 'b0', 'x0', 'a1', 'b1', 'a2', 'a3']);
  });

  it('lets a key that left the queue start afresh, without credit for the rounds it missed', () => {
    const queue = new FairQueue<string>();
    queue.push('quiet', 'q0');
    for (let i = 0; i < 5; i += 1) queue.push('flood', `f${i}`);
    expect(queue.shift()).toBe('q0');
    expect(queue.shift()).toBe('f0');
    expect(queue.shift()).toBe('f1');
    // Quiet had nothing queued for two rounds; it is not owed them now.
    queue.push('quiet', 'q1');
    queue.push('quiet', 'q2');
    expect(drain(queue)).toEqual(['f2', 'q1', 'f3', 'q2', 'f4']);
  });

  it('forgets what is deleted unserved, and names the longest key and its last entry', () => {
    const queue = new FairQueue<string>();
    for (const item of ['a0', 'a1', 'a2']) queue.push('a', item);
    queue.push('b', 'b0');
    expect(queue.longestKey()).toBe('a');
    expect(queue.lastOf('a')).toBe('a2');
    expect(queue.delete('a2')).toBe(true);
    expect(queue.delete('a2')).toBe(false);
    expect(queue.delete('b0')).toBe(true);
    expect(queue.sizeOf('b')).toBe(0);
    expect([...queue]).toEqual(['a0', 'a1']);
  });
});
