/**
 * Peer "ceiling": a bare `node:http` server that answers each benchmark request with its
 * precomputed JSON answer. No GraphQL, no providers: it reads the request body, looks the answer
 * up, and writes bytes. Its throughput is the physical limit of serving that many bytes from one
 * Node process on this machine, with this load generator; no gateway can beat it.
 *
 *   PORT, HOST      where to listen (HOST default 127.0.0.1)
 *   ANSWERS_FILE    JSON object: request body (exactly as the harness sends it) → response body
 *
 * An unknown body gets 404, so a harness that sends something unexpected sees errors, not speed.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env['PORT'] ?? '');
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError(`PORT must be an integer from 0 to 65535: ${process.env['PORT']}`);
const host = process.env['HOST']?.trim() || '127.0.0.1';
const answersFile = process.env['ANSWERS_FILE'];
if (!answersFile) throw new TypeError('ANSWERS_FILE is required');

const answers = new Map<string, Buffer>(
  Object.entries(JSON.parse(readFileSync(answersFile, 'utf8')) as Record<string, string>).map(([request, response]) => [
    request,
    Buffer.from(response, 'utf8'),
  ]),
);
const NOT_FOUND = Buffer.from('{"errors":[{"message":"no precomputed answer for this request"}]}', 'utf8');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const answer = answers.get(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(answer ? 200 : 404, { 'content-type': 'application/json; charset=utf-8', 'content-length': (answer ?? NOT_FOUND).length });
    res.end(answer ?? NOT_FOUND);
  });
});

server.listen(port, host, () => process.stdout.write(`ceiling listening on ${host}:${port}\n`));
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
