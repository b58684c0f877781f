import { describe, expect, it } from 'vitest';
import { DateTime } from '../../../src/graphql/resolvers/scalars.ts';

describe('DateTime', () => {
  it('writes ISO 8601 in UTC with milliseconds, the same for the same Date', () => {
    const date = new Date('2026-11-29T07:20:00+01:00');
    expect(DateTime.serialize(date)).toBe('2026-11-29T06:20:00.000Z');
    expect(DateTime.serialize(date)).toBe('2026-11-29T06:20:00.000Z');
  });

  it('writes a Date changed since it was last written as it now is', () => {
    const date = new Date('2026-01-01T00:00:00Z');
    expect(DateTime.serialize(date)).toBe('2026-01-01T00:00:00.000Z');
    date.setTime(Date.parse('2026-02-01T00:00:00Z'));
    expect(DateTime.serialize(date)).toBe('2026-02-01T00:00:00.000Z');
  });

  it('refuses what is not a valid Date', () => {
    expect(() => DateTime.serialize(new Date('nope'))).toThrow(TypeError);
    expect(() => DateTime.serialize('2026-01-01T00:00:00Z')).toThrow(TypeError);
  });
});
