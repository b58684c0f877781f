// Loaded into a gateway by bench/cold-alone.ts (`--trace`): every upstream request undici sends,
// when it was created and when its answer began and ended, one JSON line each, appended to a file
// named after the process id (the harness passes no environment of its own to a system).
// Plain JavaScript so that it loads into a precompiled gateway as well as into one run through tsx.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = join(tmpdir(), `tributary-upstream-trace-${process.pid}.jsonl`);
const started = new WeakMap();
// Absolute high-resolution time, comparable across processes on one host.
const now = () => performance.timeOrigin + performance.now();

subscribe('undici:request:create', ({ request }) => {
  started.set(request, { created: now(), origin: request.origin, path: request.path.split('?')[0] });
});
subscribe('undici:client:sendHeaders', ({ request }) => {
  const entry = started.get(request);
  if (entry) entry.sent = now();
});
subscribe('undici:client:beforeConnect', ({ connectParams }) => {
  appendFileSync(file, `${JSON.stringify({ connect: now(), origin: `${connectParams.protocol}//${connectParams.host}` })}\n`);
});
subscribe('undici:request:headers', ({ request }) => {
  const entry = started.get(request);
  if (entry) entry.headers = now();
});
subscribe('undici:request:trailers', ({ request }) => {
  const entry = started.get(request);
  if (!entry) return;
  entry.done = now();
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
});
// The operation itself as the gateway's HTTP server saw it: headers parsed, answer handed to the
// socket; what lies outside that span is the client's and the wire's.
const incoming = new WeakMap();
subscribe('http.server.request.start', ({ request }) => {
  incoming.set(request, now());
});
subscribe('http.server.response.finish', ({ request }) => {
  const start = incoming.get(request);
  if (start !== undefined) appendFileSync(file, `${JSON.stringify({ serverStart: start, serverFinish: now() })}\n`);
});
