import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Whether an operation selects `__typename` and nothing else, through fragments too: its answer
 * is then fixed by the schema, the document and the variables (for `@skip`/`@include`), and no
 * resolver, entity or other state has a say in it. `{ __typename }` is a common liveness probe.
 * Decided once per operation node: Apollo's document cache hands back the same node for every
 * request of the same text.
 */
export function createSchemaOnlyTest(): (operation: OperationDefinitionNode, document: DocumentNode) => boolean {
  const decided = new WeakMap<OperationDefinitionNode, boolean>();
  return (operation, document) => {
    let schemaOnly = decided.get(operation);
    if (schemaOnly === undefined) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      schemaOnly = selectsTypenameOnly(operation.selectionSet, fragments, new Set());
      decided.set(operation, schemaOnly);
    }
    return schemaOnly;
  };
}

function selectsTypenameOnly(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, followed: Set<string>): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') return false;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (!selectsTypenameOnly(selection.selectionSet, fragments, followed)) return false;
    } else {
      const name = selection.name.value;
      // Validation refuses cycles before an answer exists; `followed` only keeps this walk finite regardless.
      if (followed.has(name)) continue;
      const fragment = fragments.get(name);
      if (!fragment || !selectsTypenameOnly(fragment.selectionSet, fragments, followed.add(name))) return false;
    }
  }
  return true;
}
