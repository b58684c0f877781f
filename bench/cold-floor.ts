/**
 * `npx tsx bench/cold-floor.ts [--count 20] [--warm-up 2] [--workloads W1,W2]`:
 * the providers' chain of W1 and W2 (bench/providers-chain.ts) timed alone, without a gateway:
 * what the simulators and the wire cost on this machine for exactly the calls Tributary makes,
 * against the nominal floor. Quicker than `npm run bench` to compare with
 * `npx tsx bench/cold-alone.ts` (run one after the other, not together: they share the cores).
 * The requests each provider counted are printed by route, to compare with cold-alone's `--trace`.
 */
import { parseArgs } from 'node:util';
import { ALONE_RUNS, floorMs, summarizeAlone } from './alone-latency.ts';
import { hasChain, timeChain } from './providers-chain.ts';
import { PROVIDERS, SimAdmin, trafficBetween } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { killAllServices, ServiceProcess } from './service-process.ts';
import { faults, raisedLimits } from './start-system.ts';
import { buildWorkloads } from './workloads.ts';

const LATENCY_MS = 20; // the simulators' latency in every bench run

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: String(ALONE_RUNS) }, 'warm-up': { type: 'string', default: '2' }, workloads: { type: 'string', default: 'W1,W2' } } });
  const count = Number(values.count);
  const warmUp = Number(values['warm-up']);
  if (!(Number.isInteger(count) && count >= 1)) throw new TypeError(`--count takes a positive whole number of operations: ${values.count}`);
  if (!(Number.isInteger(warmUp) && warmUp >= 0)) throw new TypeError(`--warm-up takes a whole number of operations: ${values['warm-up']}`);
  const workloads = buildWorkloads(10);
  const chosen = values.workloads.split(',').map((id) => {
    if (id !== 'W1' && id !== 'W2') throw new TypeError(`--workloads takes W1 and/or W2: ${id}`);
    return workloads[id];
  });
  const simulators = new ServiceProcess('simulators', 'bench/simulators-process.ts', { BENCH_SIM_LATENCY_MS: String(LATENCY_MS) }, { keepStdin: true });
  try {
    const sims = JSON.parse(await simulators.firstLine(30_000)) as SimulatorAddresses;
    const admin = new SimAdmin(sims);
    await admin.resetWith(faults(LATENCY_MS, raisedLimits()));
    for (const workload of chosen) {
      const { id } = workload;
      if (!hasChain(id)) continue;
      await admin.settle();
      const before = await admin.stats();
      const { samplesMs, sent } = await timeChain(sims, { ...workload, id }, { count, warmUp });
      const after = await admin.settle();
      const traffic = trafficBetween(before, after);
      const { medianMs, p90Ms, floorMs: floor, overFloorMs } = summarizeAlone(samplesMs, floorMs(workload.id, LATENCY_MS), true);
      const perOp = (n: number) => (n / (count + warmUp)).toFixed(n % (count + warmUp) === 0 ? 0 : 1);
      process.stdout.write(
        `${workload.id}: median ${medianMs.toFixed(1)} ms, floor ${floor} ms, median - floor ${(overFloorMs ?? 0).toFixed(1)} ms ` +
          `(p90 ${p90Ms.toFixed(1)}, min ${Math.min(...samplesMs).toFixed(1)}, max ${Math.max(...samplesMs).toFixed(1)}, ${count} operations alone)\n` +
          `  requests per operation: ${PROVIDERS.map((p) => `${p} ${perOp(traffic[p].requests)} (sent ${(sent[p] / count).toFixed(sent[p] % count === 0 ? 0 : 1)})`).join(', ')}\n`,
      );
      // By route, as the simulators counted them: to compare with Tributary's (`cold-alone.ts --trace`).
      for (const p of PROVIDERS) {
        for (const [route, statuses] of Object.entries(after[p].byRoute)) {
          const n = Object.values(statuses).reduce((a, b) => a + b, 0) - Object.values(before[p].byRoute[route] ?? {}).reduce((a, b) => a + b, 0);
          if (n > 0) process.stdout.write(`    ${perOp(n).padStart(4)} × ${p} ${route}\n`);
        }
      }
    }
  } finally {
    await simulators.stop();
    killAllServices();
  }
}

main().catch((error: unknown) => {
  killAllServices();
  process.stderr.write(`cold-floor failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
