// See bench/memory-probe.ts for what this answers and why; plain JavaScript so that it loads into
// a precompiled gateway (node dist/main.js) as well as into one run through tsx.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const MEMORY_REQUEST = 'bench:memory';

if (process.send !== undefined) {
  const gc = { minor: 0, major: 0, pauseMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor += 1;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major += 1;
      gc.pauseMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (message) => {
    if (message !== MEMORY_REQUEST) return;
    const usage = process.memoryUsage();
    const answer = {
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      heapSizeLimit: getHeapStatistics().heap_size_limit,
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size])),
      gc: { ...gc, pauseMs: Math.round(gc.pauseMs) },
    };
    process.send?.(answer);
  });
  // The channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();
}
