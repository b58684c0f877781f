import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Whether a request sends `Authorization: Bearer <token>`, compared in constant time so that the
 * time a refusal takes tells nothing about how much of the token was right. Without a token,
 * nothing matches.
 */
export function bearerMatcher(token: string | undefined): (request: FastifyRequest) => boolean {
  if (token === undefined) return () => false;
  const expected = Buffer.from(`Bearer ${token}`);
  return (request) => {
    const sent = Buffer.from(request.headers.authorization ?? '');
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  };
}
