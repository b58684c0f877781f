import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, Scope } from '../../auth/principal.ts';
import type { DeadLetter, DeadLetterQueue } from '../../events/event-log.ts';

/** The most dead letters one listing returns; `?limit=` asks for fewer. */
const MAX_LISTED = 1000;

/**
 * Operators' view of the dead letters, `ops:read` to look and `ops:write` to replay or drop,
 * each principal its own tenant's only (a dead letter holds a provider's event, with its data).
 * `npm run events` reaches the same queue from a shell.
 */
export function registerDeadLetterRoutes(fastify: FastifyInstance, queue: DeadLetterQueue, authenticate: (request: FastifyRequest) => Promise<Principal | undefined>, base = '/admin/events/dead-letters'): void {
  const guard = async (request: FastifyRequest, reply: FastifyReply, scope: Scope): Promise<Principal | undefined> => {
    const principal = await authenticate(request);
    if (!principal) {
      await reply.code(401).header('www-authenticate', 'Bearer realm="tributary"').send({ error: 'authentication required', code: 'UNAUTHENTICATED' });
      return undefined;
    }
    if (!principal.scopes.has(scope)) {
      await reply.code(403).send({ error: `the ${scope} scope is required`, code: 'FORBIDDEN' });
      return undefined;
    }
    return principal;
  };
  const own = (principal: Principal, letter: DeadLetter | undefined) => (letter && letter.event.tenantId === principal.tenantId ? letter : undefined);

  fastify.get<{ Querystring: { limit?: string } }>(base, async (request, reply) => {
    const principal = await guard(request, reply, 'ops:read');
    if (!principal) return reply;
    const limit = Math.min(MAX_LISTED, Math.max(1, Number.parseInt(request.query.limit ?? '', 10) || 100));
    const letters = await queue.list(limit, principal.tenantId);
    return { deadLetters: letters, count: letters.length };
  });
  fastify.get<{ Params: { id: string } }>(`${base}/:id`, async (request, reply) => {
    const principal = await guard(request, reply, 'ops:read');
    if (!principal) return reply;
    const letter = own(principal, await queue.get(request.params.id));
    return letter ?? reply.code(404).send({ error: 'no such dead letter', code: 'NOT_FOUND' });
  });
  fastify.post<{ Params: { id: string } }>(`${base}/:id/replay`, async (request, reply) => {
    const principal = await guard(request, reply, 'ops:write');
    if (!principal) return reply;
    if (!own(principal, await queue.get(request.params.id)) || !(await queue.replay(request.params.id))) {
      return reply.code(404).send({ error: 'no such dead letter', code: 'NOT_FOUND' });
    }
    return reply.code(202).send({ replayed: request.params.id });
  });
  fastify.delete<{ Params: { id: string } }>(`${base}/:id`, async (request, reply) => {
    const principal = await guard(request, reply, 'ops:write');
    if (!principal) return reply;
    if (!own(principal, await queue.get(request.params.id)) || !(await queue.drop(request.params.id))) {
      return reply.code(404).send({ error: 'no such dead letter', code: 'NOT_FOUND' });
    }
    return reply.code(204).send();
  });
}
