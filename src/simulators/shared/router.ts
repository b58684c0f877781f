import type { RequestContext } from './provider-adapter.ts';
import type { SimRequest, SimResponse } from './sim-request.ts';

/** `context` carries the active faults, for handlers whose answer a fault reshapes (page sizes). */
export type RouteHandler = (req: SimRequest, context: RequestContext) => SimResponse;

export interface RouteOptions {
  /** Served without credentials and outside the rate limit (HubSpot's token endpoint). */
  public?: boolean;
}

export interface RouteMatch {
  /** `METHOD pattern`, the key under which `/_sim/stats` counts the request. */
  key: string;
  handler: RouteHandler;
  params: Record<string, string>;
  public: boolean;
}

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: RouteHandler;
  public: boolean;
}

/**
 * Routes are tried in the order they were added, so a literal path (`/v1/customers/search`) must
 * be added before the pattern that would swallow it (`/v1/customers/:id`).
 */
export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    this.#routes.push({ method, pattern, segments: pattern.split('/'), handler, public: options.public ?? false });
    return this;
  }

  match(method: string, path: string): RouteMatch | undefined {
    const segments = path.split('/');
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params = matchSegments(route.segments, segments);
      if (params) {
        return { key: `${method} ${route.pattern}`, handler: route.handler, params, public: route.public };
      }
    }
    return undefined;
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] ?? '';
    const segment = actual[i] ?? '';
    if (expected.startsWith(':')) {
      if (segment === '') return undefined;
      try {
        params[expected.slice(1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (expected !== segment) {
      return undefined;
    }
  }
  return params;
}
