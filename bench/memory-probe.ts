/**
 * Loaded into a system under test with `--import` in soak mode (never in production): answers the
 * harness's `bench:memory` messages on the IPC channel with what the process holds, so a soak can
 * tell V8's heap from the rest of the resident set (code, tsx's caches, Buffers, malloc arenas).
 *
 * It also counts garbage collections by kind from `PerformanceObserver('gc')`: whether the heap
 * grows because collections are rare, or because what survives them grows.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/** What the probe answers; every size in bytes. */
export interface ProcessMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** C++ objects bound to JS objects, Buffers included. */
  external: number;
  arrayBuffers: number;
  /** V8's heap limit (`--max-old-space-size` and the default derived from the machine). */
  heapSizeLimit: number;
  /** Used bytes per V8 space: new_space, old_space, code_space, large_object_space, … */
  spaces: Record<string, number>;
  gc: { minor: number; major: number; pauseMs: number };
}

export const MEMORY_REQUEST = 'bench:memory';

if (process.send !== undefined) {
  const gc = { minor: 0, major: 0, pauseMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: unknown } as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor += 1;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major += 1;
      gc.pauseMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (message) => {
    if (message !== MEMORY_REQUEST) return;
    const usage = process.memoryUsage();
    const answer: ProcessMemory = {
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
