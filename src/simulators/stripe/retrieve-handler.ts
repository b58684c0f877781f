import type { RouteHandler } from '../shared/router.ts';
import { resourceMissing } from './stripe-error.ts';

/** `GET /v1/<things>/:id`, or 404 `resource_missing` with `No such <noun>: 'id'`. */
export function retrieveHandler(noun: string, find: (id: string) => object | undefined): RouteHandler {
  return (req) => {
    const id = req.params.id ?? '';
    const found = find(id);
    return found ? { status: 200, body: found } : resourceMissing(noun, id);
  };
}
