import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { MANIFEST_FORMAT, checkTrustedManifest, sha256Hex, type TrustedManifest } from './trusted-manifest.ts';

export interface GraphQLSource {
  /** For messages: where the text came from (a file path). */
  name: string;
  text: string;
}

/**
 * One manifest entry per named operation across all sources, each body holding the operation and
 * the fragments it reaches, printed by graphql-js's `print` with the operation first and the
 * fragments by name (the order Apollo's manifest generator uses). The id is the SHA-256 of that
 * body, so it is also the APQ hash a client computes over the same text. Clients must send
 * exactly this body (taken from the manifest) or just its id; a re-printed or re-formatted copy
 * has another hash and is not trusted.
 */
export function buildTrustedManifest(sources: readonly GraphQLSource[]): TrustedManifest {
  const operations: OperationDefinitionNode[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  const origin = new Map<string, string>();
  for (const source of sources) {
    let document: DocumentNode;
    try {
      document = parse(source.text, { noLocation: true });
    } catch (error) {
      throw new Error(`${source.name}: ${(error as Error).message}`);
    }
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        const name = definition.name?.value;
        if (!name) throw new Error(`${source.name}: every operation needs a name (the manifest lists operations by name)`);
        if (origin.has(`operation ${name}`)) throw new Error(`${source.name}: operation ${name} is also defined in ${origin.get(`operation ${name}`)}`);
        origin.set(`operation ${name}`, source.name);
        operations.push(definition);
      } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value;
        if (fragments.has(name)) throw new Error(`${source.name}: fragment ${name} is also defined in ${origin.get(`fragment ${name}`)}`);
        origin.set(`fragment ${name}`, source.name);
        fragments.set(name, definition);
      } else {
        throw new Error(`${source.name}: only operations and fragments belong in client documents, found ${definition.kind}`);
      }
    }
  }
  const entries = operations
    .map((operation) => {
      const body = print({ kind: Kind.DOCUMENT, definitions: [operation, ...reachableFragments(operation, fragments)] });
      return { id: sha256Hex(body), name: operation.name!.value, type: operation.operation, body };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return checkTrustedManifest({ format: MANIFEST_FORMAT, version: 1, operations: entries }, 'the built manifest');
}

// Private: the fragments `root` spreads, directly or through other fragments, sorted by name.
function reachableFragments(root: DefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const found = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [root];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (found.has(name)) return;
        const fragment = fragments.get(name);
        if (!fragment) throw new Error(`fragment ${name} is used but defined in none of the documents`);
        found.set(name, fragment);
        pending.push(fragment);
      },
    });
  }
  return [...found.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}
