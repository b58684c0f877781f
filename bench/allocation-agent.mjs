/**
 * Loaded into a system under test with `--import`, it records where the process allocates:
 * V8's sampling heap profiler, counting objects the collector has already freed (which
 * `node --heap-prof` leaves out, and which are exactly the per-request garbage that makes a warm
 * gateway's heap grow). Settings ride on the import URL, since the bench gives the system its own
 * environment: `--import=./bench/allocation-agent.mjs?after=8&seconds=8&out=/tmp/w3.heapprofile`
 * starts sampling 8 s after start-up (past the warm-up), for 8 s, then writes the profile.
 * `npm run bench:profile -- /tmp/w3.heapprofile` prints its top frames.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const settings = new URL(import.meta.url).searchParams;
const afterMs = Number(settings.get('after') ?? 8) * 1000;
const lengthMs = Number(settings.get('seconds') ?? 8) * 1000;
const out = settings.get('out') ?? `allocations-${process.pid}.heapprofile`;

const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

setTimeout(async () => {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  setTimeout(async () => {
    const { profile } = await post('HeapProfiler.stopSampling');
    writeFileSync(out, JSON.stringify(profile));
  }, lengthMs).unref();
}, afterMs).unref();
