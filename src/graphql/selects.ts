import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether the operation asks, below the field being resolved, for a field at `path` (field names,
 * not aliases, through fragments; `@skip`/`@include` honoured). For a resolver that starts the
 * calls its children will need as soon as their inputs are known: it must not start one for a
 * field nobody asked for, or it would spend upstream calls (and quota) the operation did not.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    sets = fieldsNamed(info, sets, name).flatMap((node) => (node.selectionSet ? [node.selectionSet] : [{ kind: Kind.SELECTION_SET, selections: [] }]));
    if (sets.length === 0) return false;
  }
  return true;
}

// Private:

function fieldsNamed(info: GraphQLResolveInfo, sets: readonly SelectionSetNode[], name: string): Array<{ selectionSet?: SelectionSetNode | undefined }> {
  const found: Array<{ selectionSet?: SelectionSetNode | undefined }> = [];
  const visit = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (!included(info, selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name) found.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet.selections);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet.selections);
      }
    }
  };
  for (const set of sets) visit(set.selections);
  return found;
}

function included(info: GraphQLResolveInfo, node: SelectionNode): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.['if'] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.['if'] !== false;
}
