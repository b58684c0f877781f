/** What the guard needs of a socket (a `ws` WebSocket has it). */
export interface BufferedSocket {
  readonly readyState: number;
  /** Bytes handed to the socket and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string, callback?: (error?: Error) => void): void;
}

/**
 * The close frame for a connection that does not read what it is sent. 4008: in the private range
 * (RFC 6455 §7.4.2), after HTTP's 408; graphql-ws's client does not count it among the fatal
 * codes, so it reconnects and subscribes again, and then reads the objects' current state.
 */
export const SUBSCRIBER_TOO_SLOW = { code: 4008, reason: 'subscriber too slow' } as const;

const OPEN = 1;

export type SendOutcome = 'sent' | 'too-slow' | 'not-open';

/**
 * Sends unless more than `maxBufferedBytes` already wait to be written: then nothing is sent and
 * the caller closes the connection with SUBSCRIBER_TOO_SLOW, so the client learns that it missed
 * events (nothing is dropped silently) and the gateway's memory per connection stays bounded.
 * The send is not awaited to its flush: waiting would only move the backlog into every
 * subscription's queue of changes, where no single bound sees it.
 */
export function sendUnlessTooSlow(socket: BufferedSocket, data: string, maxBufferedBytes: number, onError: (error: Error) => void): SendOutcome {
  if (socket.readyState !== OPEN) return 'not-open';
  if (socket.bufferedAmount > maxBufferedBytes) return 'too-slow';
  socket.send(data, (error) => {
    if (error) onError(error);
  });
  return 'sent';
}
