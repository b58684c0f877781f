import { describe, expect, it } from 'vitest';
import { mappedOnce } from '../../src/model/mapped-once.ts';
import { toDeal } from '../../src/providers/hubspot/mapper.ts';

describe('mappedOnce', () => {
  it('maps a wire object once, and another object (a changed entity) again', () => {
    let calls = 0;
    const map = mappedOnce((wire: { n: number }) => ({ double: 2 * wire.n, call: ++calls }));
    const wire = { n: 2 };
    expect(map(wire)).toBe(map(wire));
    expect(calls).toBe(1);
    expect(map({ n: 2 })).toEqual({ double: 4, call: 2 });
  });

  it('keeps nothing from a mapping that threw', () => {
    let fail = true;
    const map = mappedOnce((wire: { n: number }) => {
      if (fail) throw new Error('bad payload');
      return wire.n;
    });
    const wire = { n: 1 };
    expect(() => map(wire)).toThrow('bad payload');
    fail = false;
    expect(map(wire)).toBe(1);
  });
});

describe('toDeal', () => {
  it('maps a deal again for another default currency', () => {
    const wire = { id: '1', properties: { dealname: 'Renewal', amount: '12.50' }, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', archived: false };
    const euros = toDeal(wire, 'EUR');
    expect(toDeal(wire, 'EUR')).toBe(euros);
    expect(toDeal(wire, 'USD').amount?.currency).toBe('USD');
    expect(euros.amount?.currency).toBe('EUR');
  });
});
