/**
 * Where one operation's time over the floor went, from the traces bench/cold-alone.ts collects
 * (`--trace`): the gateway's view of each upstream request (bench/upstream-trace-agent.mjs) and
 * the simulators' (bench/simulator-trace-agent.mjs). Pure arithmetic on timestamps, so that it
 * can be tested without processes.
 *
 * The critical path is found backwards: the last upstream answer before the gateway wrote its
 * answer, then the last answer before that request was created, and so on. Each step's time is
 * split into who held it: the gateway (before it created the request, between creating and
 * writing it, and after the answer's last byte until it used it), the wire and the scheduler
 * (written → arrived, finished → answered), and the simulator (arrived → finished, which includes
 * its latency).
 */
import { percentile } from './alone-latency.ts';

export interface UpstreamSpan {
  created: number;
  /** Headers written to the socket; absent when the agent did not see it. */
  sent?: number;
  done: number;
  /** The simulator's side, when matched. */
  arrived?: number;
  finished?: number;
}

export interface OperationSpans {
  sentAt: number;
  endedAt: number;
  /** The gateway's HTTP server: request parsed, answer handed to the socket. */
  serverStart?: number;
  serverFinish?: number;
  upstream: UpstreamSpan[];
}

/** Milliseconds per share of one operation; the keys are the lines cold-alone prints. */
export type Breakdown = Record<string, number>;

export function criticalPath(op: OperationSpans): UpstreamSpan[] {
  const chain: UpstreamSpan[] = [];
  let before = op.serverFinish ?? op.endedAt;
  for (;;) {
    let last: UpstreamSpan | undefined;
    for (const span of op.upstream) if (span.done <= before && (!last || span.done > last.done)) last = span;
    if (!last) return chain.reverse();
    chain.push(last);
    before = last.created;
  }
}

export function breakdown(op: OperationSpans): Breakdown {
  const chain = criticalPath(op);
  const start = op.serverStart ?? op.sentAt;
  const end = op.serverFinish ?? op.endedAt;
  const shares: Breakdown = {
    'client and wire (in and out)': op.endedAt - op.sentAt - (end - start),
    'gateway before the first call': (chain[0]?.created ?? end) - start,
    'gateway between calls': 0,
    'gateway creating → writing calls': 0,
    'wire: written → arrived': 0,
    'simulators: arrived → finished, latency included': 0,
    'wire: finished → answered': 0,
    'gateway after the last answer': end - (chain.at(-1)?.done ?? start),
  };
  chain.forEach((span, i) => {
    if (i > 0) shares['gateway between calls']! += span.created - chain[i - 1]!.done;
    if (span.sent === undefined || span.arrived === undefined || span.finished === undefined) {
      shares['simulators: arrived → finished, latency included']! += span.done - span.created;
      return;
    }
    shares['gateway creating → writing calls']! += span.sent - span.created;
    shares['wire: written → arrived']! += span.arrived - span.sent;
    shares['simulators: arrived → finished, latency included']! += span.finished - span.arrived;
    shares['wire: finished → answered']! += span.done - span.finished;
  });
  return shares;
}

/** Each share's median over the operations: the shares of a typical operation (they need not add up). */
export function medianBreakdown(ops: readonly OperationSpans[]): Breakdown {
  const all = ops.map(breakdown);
  const keys = Object.keys(all[0] ?? {});
  return Object.fromEntries(keys.map((key) => [key, percentile(all.map((b) => b[key]!), 50)]));
}
