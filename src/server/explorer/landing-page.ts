import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../../config.ts';
import { ErrorCode } from '../../errors.ts';
import { SAMPLE_QUERY } from '../../graphql/sample-query.ts';
import { loadExplorerAssets, type ExplorerAssets } from './explorer-assets.ts';
import { ASSETS_PATH, EXPLORER_CSP, renderExplorerPage } from './explorer-page.ts';

export interface LandingPageOptions {
  mode: GatewayConfig['explorer'];
  /** Client auth is configured: the headers editor opens with a credential to fill in. */
  credentialsRequired: boolean;
}

/** What a browser opening /graphql gets (EXPLORER), and what the rest of the gateway must know of it. */
export interface LandingPage {
  /** Apollo's landing page plugin: Apollo alone decides which GET is a browser's (it prefers HTML). */
  readonly plugin: ApolloServerPlugin;
  /** The browser's GET is let through without credentials: the page holds no data. */
  readonly public: boolean;
  /** The Content-Security-Policy of the page, when it is not the default HTML one. */
  readonly contentSecurityPolicy: string | undefined;
  /**
   * Adds the page's asset routes. After the gateway's own hooks: a Fastify plugin inherits only
   * the hooks added before it loads, and the assets need the hygiene hook's headers.
   */
  registerRoutes(fastify: FastifyInstance): Promise<void>;
}

/**
 * A versioned asset never changes under its name (its hash is in it): a year, RFC 9111 §5.2.2.1,
 * and `immutable` (RFC 8246) spares even the revalidation on reload.
 */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The placeholder the headers editor opens with when client auth is on: `Authorization: Bearer`
 * takes an API key and a JWT alike, and over WebSocket GraphiQL sends the same headers as
 * connection_init's payload, which the subscription server reads (connection-credentials.ts).
 */
const CREDENTIAL_PLACEHOLDER = JSON.stringify({ authorization: 'Bearer <an API key or a JWT>' }, null, 2);

/**
 * local: GraphiQL, React and the page's own script served from installed packages (read once,
 * under /explorer/assets/), so the explorer works with no internet; apollo: Apollo Sandbox from
 * Apollo's CDN; off: no page, and a browser's GET is answered as any other GET.
 */
export function createLandingPage(options: LandingPageOptions): LandingPage {
  switch (options.mode) {
    case 'off':
      return { plugin: ApolloServerPluginLandingPageDisabled(), public: false, contentSecurityPolicy: undefined, registerRoutes: async () => undefined };
    case 'apollo':
      return { plugin: ApolloServerPluginLandingPageLocalDefault({ embed: true }), public: true, contentSecurityPolicy: undefined, registerRoutes: async () => undefined };
    case 'local': {
      const assets = loadExplorerAssets();
      const html = renderExplorerPage(assets, { query: SAMPLE_QUERY, headers: options.credentialsRequired ? CREDENTIAL_PLACEHOLDER : undefined });
      const plugin: ApolloServerPlugin = {
        async serverWillStart() {
          return { renderLandingPage: async () => ({ html }) };
        },
      };
      return { plugin, public: true, contentSecurityPolicy: EXPLORER_CSP, registerRoutes: (fastify) => registerAssetRoutes(fastify, assets) };
    }
  }
}

async function registerAssetRoutes(fastify: FastifyInstance, assets: ExplorerAssets): Promise<void> {
  await fastify.register(async (explorer) => {
    // In this plugin only, after the gateway's own onSend hook (which says no-store to everything).
    explorer.addHook('onSend', (_request, reply, payload, done) => {
      if (reply.statusCode === 200) void reply.header('cache-control', IMMUTABLE);
      done(null, payload);
    });
    explorer.get<{ Params: { file: string } }>(`/${ASSETS_PATH}/:file`, async (request, reply) => {
      const asset = assets.byName.get(request.params.file);
      if (!asset) return reply.code(404).send({ error: 'no such asset', code: ErrorCode.NotFound });
      return reply.type(asset.contentType).send(asset.body);
    });
  });
}
