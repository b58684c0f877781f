import { describe, expect, it } from 'vitest';
import { expectGlobalId, fromGlobalId, toGlobalId } from '../../src/model/global-id.ts';

describe('global ids', () => {
  it('round-trip type and provider id', () => {
    const id = toGlobalId('Payment', 'ch_123');
    expect(id).not.toContain('ch_123');
    expect(fromGlobalId(id)).toEqual({ kind: 'Payment', id: 'ch_123' });
  });

  it('refuse malformed ids and ids of another type with BAD_USER_INPUT', () => {
    for (const bad of ['', 'not base64!', toGlobalId('Customer', 'x').slice(0, 3), Buffer.from('Planet:1').toString('base64url')]) {
      expect(() => fromGlobalId(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
    expect(() => expectGlobalId(toGlobalId('Deal', '1'), 'Customer')).toThrow(/Expected a Customer id/);
  });
});
