import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** The gateway's GraphQL URL as a WebSocket URL (same host and path). */
export function webSocketUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface ClosedWith {
  code: number;
  reason: string;
}

/**
 * A graphql-ws client as an application would use it, with what tests need to see: how the
 * connection closed, and each subscription as an iterator of results.
 */
export class SubscriptionClient {
  readonly closed: Promise<ClosedWith>;
  private readonly client: Client;

  constructor(httpUrl: string, connectionParams: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    let closedWith: (closed: ClosedWith) => void = () => {};
    this.closed = new Promise((resolve) => (closedWith = resolve));
    this.client = createClient({
      url: webSocketUrl(httpUrl),
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers });
        }
      },
      connectionParams,
      lazy: false,
      retryAttempts: 0,
      // A refused connection ends the subscriptions on it; the test reads `closed`.
      onNonLazyError: () => {},
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          closedWith({ code, reason: String(reason) });
        },
      },
    });
  }

  subscribe<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): AsyncIterableIterator<FormattedExecutionResult<T, unknown>> {
    return this.client.iterate<T>({ query, variables });
  }

  /**
   * The first result of an operation refused or answered at once. graphql-ws delivers a refusal
   * either as a result with errors (a resolver's) or as an `error` message (validation, limits),
   * which the iterator throws as the errors' array: both come back here as `{ errors }`.
   */
  async once<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<FormattedExecutionResult<T, unknown>> {
    const results = this.subscribe<T>(query, variables);
    try {
      const first = await results.next();
      if (first.done) throw new Error('completed without a result');
      return first.value;
    } catch (error) {
      if (Array.isArray(error)) return { errors: error };
      throw error;
    } finally {
      await results.return?.();
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}
