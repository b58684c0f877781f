import { ApolloServer, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { readPeerConfig, type PeerConfig } from './peer-config.ts';
// Tributary's schema, read from the same files, so every system answers the same queries.
import { loadTypeDefs } from '../../../src/graphql/type-defs.ts';
import { createPeerResolvers, type PeerContext } from './peer-resolvers.ts';
import type { ProviderApi } from './provider-api.ts';

/** Apollo Server's own cache (an in-memory LRU by default), which data sources are given. */
export type ServerCache = ApolloServer<BaseContext>['cache'];

/**
 * Runs a peer: Apollo Server 5 on its standalone HTTP server (what its getting-started guide
 * sets up) over Tributary's schema and the shared peer resolvers. `apiFor` builds the
 * ProviderApi for one operation; it receives the server's cache, as data sources do.
 */
export async function runPeerServer(name: string, apiFor: (config: PeerConfig, cache: ServerCache) => ProviderApi): Promise<void> {
  const config = readPeerConfig();
  const server = new ApolloServer<PeerContext & BaseContext>({
    typeDefs: loadTypeDefs(),
    resolvers: createPeerResolvers(),
    includeStacktraceInErrorResponses: false,
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port: config.port, host: config.host },
    context: async () => ({ api: apiFor(config, server.cache) }),
  });
  process.stdout.write(`${name} listening at ${url}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** A peer's start-up failure: say why and exit non-zero. */
export function exitOnFailure(name: string): (error: unknown) => void {
  return (error) => {
    process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  };
}
