/**
 * What bench/memory-probe-agent.mjs answers. The agent is loaded into a system under test with
 * `--import` in soak mode (never in production); it is plain JavaScript so that it loads into a
 * precompiled gateway without tsx. It answers the
 * harness's `bench:memory` messages on the IPC channel with what the process holds, so a soak can
 * tell V8's heap from the rest of the resident set (code, tsx's caches, Buffers, malloc arenas).
 *
 * It also counts garbage collections by kind from `PerformanceObserver('gc')`: whether the heap
 * grows because collections are rare, or because what survives them grows.
 */

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
