import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe("the README's configuration table", () => {
  it('names every variable the gateway reads, and none it does not', () => {
    const section = README.slice(README.indexOf('\n## Configuration'), README.indexOf('\n## ', README.indexOf('\n## Configuration') + 1));
    // A row may name several variables in its first cell (`STRIPE_RATE_LIMIT`, `STRIPE_RATE_WINDOW_MS`).
    const firstCells = [...section.matchAll(/^\|([^|]*`[A-Z][A-Z0-9_]*`[^|]*)\|/gm)].map((match) => match[1]!);
    const rows = firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!)).filter((name) => !name.endsWith('_FILE') || name in CONFIG_KEYS);
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.keys(CONFIG_KEYS).filter((key) => !rows.includes(key))).toEqual([]);
    expect(rows.filter((row) => !(row in CONFIG_KEYS))).toEqual([]);
  });
});
