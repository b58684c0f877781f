import { describe, expect, it } from 'vitest';
import { SUBSCRIBER_TOO_SLOW, sendUnlessTooSlow, type BufferedSocket } from '../../../src/server/subscriptions/slow-subscriber-guard.ts';

function socket(bufferedAmount: number, readyState = 1): BufferedSocket & { sent: string[] } {
  const sent: string[] = [];
  return { readyState, bufferedAmount, sent, send: (data) => sent.push(data) };
}

describe('the slow-subscriber guard', () => {
  it('sends while the bytes waiting are within the limit', () => {
    const open = socket(1024);
    expect(sendUnlessTooSlow(open, 'event', 1024, () => {})).toBe('sent');
    expect(open.sent).toEqual(['event']);
  });

  it('sends nothing past the limit and says so, for the caller to close with 4008', () => {
    const behind = socket(1025);
    expect(sendUnlessTooSlow(behind, 'event', 1024, () => {})).toBe('too-slow');
    expect(behind.sent).toEqual([]);
    expect(SUBSCRIBER_TOO_SLOW).toEqual({ code: 4008, reason: 'subscriber too slow' });
  });

  it('sends nothing on a socket that is no longer open', () => {
    const closing = socket(0, 2);
    expect(sendUnlessTooSlow(closing, 'event', 1024, () => {})).toBe('not-open');
    expect(closing.sent).toEqual([]);
  });

  it('reports a failed write', () => {
    const errors: Error[] = [];
    const failing: BufferedSocket = { readyState: 1, bufferedAmount: 0, send: (_data, callback) => callback?.(new Error('EPIPE')) };
    sendUnlessTooSlow(failing, 'event', 1024, (error) => errors.push(error));
    expect(errors).toEqual([new Error('EPIPE')]);
  });
});
