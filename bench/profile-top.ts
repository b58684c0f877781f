import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) this summary reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameShare {
  /** `function file:line`, with node_modules paths shortened to the package. */
  frame: string;
  /** Share of the sampled time spent in the frame itself (self time), 0..1. */
  share: number;
}

/** The parts of a V8 sampling heap profile (bench/allocation-agent.mjs) this summary reads. */
export interface HeapProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  /** Bytes sampled as allocated in this frame itself. */
  selfSize: number;
  children: HeapProfileNode[];
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const file = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/');
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

/** Bytes allocated per frame (the frame itself, not what it calls), largest first, as shares. */
export function topAllocations(root: HeapProfileNode, count: number): FrameShare[] {
  const self = new Map<string, number>();
  let total = 0;
  const pending = [root];
  for (let node = pending.pop(); node; node = pending.pop()) {
    total += node.selfSize;
    if (node.selfSize > 0) self.set(frameName(node.callFrame), (self.get(frameName(node.callFrame)) ?? 0) + node.selfSize);
    pending.push(...node.children);
  }
  if (total === 0) return [];
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, count).map(([frame, bytes]) => ({ frame, share: bytes / total }));
}

/**
 * Self time per frame, largest first. Why not a flame graph tool: the README and
 * docs/performance.md quote the top frames as text, before and after a change, and this needs no
 * browser or extra package.
 */
export function topFrames(profile: CpuProfile, count: number): FrameShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    total += delta;
    const key = frameName(frame);
    self.set(key, (self.get(key) ?? 0) + delta);
  });
  if (total === 0) return [];
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, time]) => ({ frame, share: time / total }));
}

// `npm run bench:profile -- <file.cpuprofile|file.heapprofile> [count]`: a Markdown table of the
// top frames by self time, or by bytes allocated.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, count = '20'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: npm run bench:profile -- <file.cpuprofile|file.heapprofile> [count]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile | { head: HeapProfileNode };
  const heap = 'head' in profile;
  process.stdout.write(`| ${heap ? 'allocated' : 'self'} | frame |\n| ---: | --- |\n`);
  for (const { frame, share } of heap ? topAllocations(profile.head, Number(count)) : topFrames(profile, Number(count))) process.stdout.write(`| ${(share * 100).toFixed(1)}% | \`${frame}\` |\n`);
}
