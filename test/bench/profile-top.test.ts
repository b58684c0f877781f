import { describe, expect, it } from 'vitest';
import { topFrames, type CpuProfile } from '../../bench/profile-top.ts';

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
