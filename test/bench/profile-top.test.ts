import { describe, expect, it } from 'vitest';
import { topAllocations, topFrames, type CpuProfile, type HeapProfileNode } from '../../bench/profile-top.ts';

describe('the CPU profile summary', () => {
  it('adds up self time per frame, largest first, with node_modules paths shortened', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'executeFields', url: 'file:///app/node_modules/graphql/execution/execute.js', lineNumber: 650 } },
        { id: 3, callFrame: { functionName: '', url: 'file:///app/dist/server/result-cache-hooks.js', lineNumber: 29 } },
      ],
      samples: [2, 3, 2, 1, 2],
      timeDeltas: [10, 30, 10, 40, 10],
    };
    expect(topFrames(profile, 2)).toEqual([
      { frame: '(garbage collector)', share: 0.4 },
      { frame: 'executeFields graphql/execution/execute.js:651', share: 0.3 },
    ]);
    expect(topFrames(profile, 5).map((f) => f.frame)).toContain('(anonymous) dist/server/result-cache-hooks.js:30');
    expect(topFrames({ nodes: [], samples: [], timeDeltas: [] }, 5)).toEqual([]);
  });
});

describe('the allocation profile summary', () => {
  it('adds up the bytes each frame allocated itself, over the whole tree, largest first', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });
    const root: HeapProfileNode = {
      callFrame: frame('(root)'),
      selfSize: 0,
      children: [
        { callFrame: frame('runHttpQuery', 'file:///app/node_modules/@apollo/server/dist/esm/runHttpQuery.js'), selfSize: 300, children: [] },
        { callFrame: frame('paymentsOf', 'file:///app/dist/providers/stripe/payments.js'), selfSize: 100, children: [{ callFrame: frame('paymentsOf', 'file:///app/dist/providers/stripe/payments.js'), selfSize: 100, children: [] }] },
      ],
    };
    expect(topAllocations(root, 5)).toEqual([
      { frame: 'runHttpQuery @apollo/server/dist/esm/runHttpQuery.js:10', share: 0.6 },
      { frame: 'paymentsOf dist/providers/stripe/payments.js:10', share: 0.4 },
    ]);
    expect(topAllocations({ callFrame: frame('(root)'), selfSize: 0, children: [] }, 5)).toEqual([]);
  });
});
