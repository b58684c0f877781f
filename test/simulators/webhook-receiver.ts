import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  method: string;
  /** The path and query as the request line had them. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes, as a verifier must see them. */
  rawBody: string;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  received: ReceivedWebhook[];
  /** Statuses to answer, in order; 200 once they run out. `'hang'` never answers. */
  answers: Array<number | 'hang'>;
  /** Decides each answer; default: the next of `answers`. */
  respond: (webhook: ReceivedWebhook) => number | 'hang';
  close(): Promise<void>;
}

/** A local endpoint on port 0 that records every delivery and answers from a script. */
export async function startReceiver(answers: Array<number | 'hang'> = []): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver: Pick<WebhookReceiver, 'answers' | 'respond'> = { answers, respond: () => receiver.answers.shift() ?? 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const webhook = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') };
      received.push(webhook);
      const answer = receiver.respond(webhook);
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A delivery's header, as one string. */
export function header(webhook: ReceivedWebhook, name: string): string {
  const value = webhook.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}
