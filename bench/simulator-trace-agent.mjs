// Loaded into the simulators' process by bench/cold-alone.ts (`--trace`): every request a
// simulator serves, when its headers arrived and when its answer was handed to the socket, one
// JSON line each, so that the gateway's trace can be split into the gateway's and the
// simulators' share of each round trip. Plain JavaScript, like upstream-trace-agent.mjs.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = join(tmpdir(), `tributary-simulator-trace-${process.pid}.jsonl`);
const arrived = new WeakMap();
const now = () => performance.timeOrigin + performance.now();

subscribe('http.server.request.start', ({ request }) => {
  arrived.set(request, now());
});
subscribe('http.server.response.finish', ({ request, server }) => {
  const at = arrived.get(request);
  if (at === undefined) return;
  const { port } = server.address();
  appendFileSync(file, `${JSON.stringify({ arrived: at, finished: now(), port, path: (request.url ?? '').split('?')[0] })}\n`);
});
