import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  /** The base URL to give a system as OTEL_EXPORTER_OTLP_ENDPOINT (it posts to `/v1/traces`). */
  readonly url: string;
  /** Export requests and their bytes received so far: the spans did leave the system. */
  received(): { requests: number; bytes: number };
  close(): Promise<void>;
}

/**
 * An OTLP/HTTP receiver that accepts every export and keeps nothing, so that a system with
 * tracing on pays what it would pay against a collector (serialising, batching, sending) and no
 * collector competes for the CPU. It answers as a collector does: 200 with an empty
 * ExportTraceServiceResponse (`{}` as JSON, no partial success).
 */
export async function startOtlpSink(host = '127.0.0.1'): Promise<OtlpSink> {
  let requests = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    received: () => ({ requests, bytes }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
