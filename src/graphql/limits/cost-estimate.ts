import {
  Kind,
  type ArgumentNode,
  type ConstDirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** What an operation is expected to cost, from the schema's @cost and @listSize, before it runs. */
export interface CostEstimate {
  /** calls + objects: the figure MAX_QUERY_COST bounds. */
  cost: number;
  /** Provider calls at most, with nothing cached (schema/directives.graphql says how they count). */
  calls: number;
  /** Objects the answer holds at most (every object-typed field, times how often it is returned). */
  objects: number;
}

/** The estimate as the operation's context keeps it and `extensions.upstream.estimate` shows it. */
export interface OperationEstimate extends CostEstimate {
  maxCost: number;
}

interface FieldCost {
  weight: number;
  batchSize: number | undefined;
  itemWeight: number;
}

interface ListSize {
  assumedSize: number | undefined;
  slicingArguments: readonly string[];
  sizedFields: readonly string[];
}

/** Children of a connection whose count is the connection's slicing argument (`edges`). */
interface Sized {
  fields: readonly string[];
  size: number;
}

/**
 * Walks one operation with the schema's directives, the way the IBM/Apollo demand-control
 * specifications describe, with our two additions (`batchSize`, `itemWeight`) documented in
 * schema/directives.graphql. graphql-query-complexity's estimators see one field at a time and
 * cannot express batched calls nor a connection's `sizedFields`, hence this small walk.
 *
 * Every occurrence of a field counts, aliases and repeats included (graphql-js would merge some
 * and DataLoader would share calls): an upper bound. A fragment spread already on the current path
 * is skipped (NoFragmentCyclesRule rejects such documents), and a fragment's figure is remembered
 * per multiplier, so `...A ...A` nested a hundred times stays linear.
 */
export function estimateCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> = {},
): CostEstimate {
  const variableDefaults = new Map(
    (operation.variableDefinitions ?? []).flatMap((definition) =>
      definition.defaultValue ? [[definition.variable.name.value, definition.defaultValue] as const] : [],
    ),
  );
  const valueOf = (node: ValueNode | undefined): unknown => {
    if (node === undefined) return undefined;
    switch (node.kind) {
      case Kind.VARIABLE: {
        const name = node.name.value;
        return name in variables ? variables[name] : valueOf(variableDefaults.get(name));
      }
      case Kind.INT:
      case Kind.FLOAT:
        return Number(node.value);
      case Kind.LIST:
        return node.values;
      case Kind.NULL:
        return null;
      default:
        return undefined;
    }
  };
  const memo = new Map<string, { calls: number; objects: number }>();
  const onPath = new Set<string>();

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, evaluations: number, sized: Sized | undefined): { calls: number; objects: number } => {
    let calls = 0;
    let objects = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const figure = fieldCost(selection, parent, evaluations, sized);
        calls += figure.calls;
        objects += figure.objects;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (!type || !isComposite(type)) continue;
        const figure = walk(selection.selectionSet, type, evaluations, sized);
        calls += figure.calls;
        objects += figure.objects;
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const type = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (!fragment || !type || !isComposite(type) || onPath.has(name)) continue;
        const key = `${name}\u0000${evaluations}\u0000${sized ? `${sized.fields.join(',')}:${sized.size}` : ''}`;
        let figure = memo.get(key);
        if (figure === undefined) {
          onPath.add(name);
          figure = walk(fragment.selectionSet, type, evaluations, sized);
          onPath.delete(name);
          memo.set(key, figure);
        }
        calls += figure.calls;
        objects += figure.objects;
      }
    }
    return { calls, objects };
  };

  const fieldCost = (node: FieldNode, parent: GraphQLNamedType, parentEvaluations: number, sized: Sized | undefined) => {
    const none = { calls: 0, objects: 0 };
    if (node.name.value.startsWith('__') || !('getFields' in parent)) return none;
    const field = (parent.getFields() as Record<string, GraphQLField<unknown, unknown> | undefined>)[node.name.value];
    if (!field) return none;
    const evaluations = sized?.fields.includes(field.name) ? parentEvaluations * sized.size : parentEvaluations;
    const cost = costOf(field);
    const listSize = listSizeOf(field);
    const size = listSize ? sizeOf(listSize, node.arguments ?? [], field, valueOf) : 1;
    const calls = batched(evaluations, cost.weight, cost.batchSize) + batched(evaluations * size, cost.itemWeight, cost.batchSize);
    const type = namedTypeOf(field.type);
    if (!isComposite(type) || !node.selectionSet) return { calls, objects: 0 };
    const returned = listSize && listSize.sizedFields.length === 0 && isList(field.type) ? evaluations * size : evaluations;
    const childSized = listSize && listSize.sizedFields.length > 0 ? { fields: listSize.sizedFields, size } : undefined;
    const children = walk(node.selectionSet, type, returned, childSized);
    return { calls: calls + children.calls, objects: returned + children.objects };
  };

  const root = schema.getRootType(operation.operation);
  const figure = root ? walk(operation.selectionSet, root, 1, undefined) : { calls: 0, objects: 0 };
  return { cost: figure.calls + figure.objects, calls: figure.calls, objects: figure.objects };
}

// Apollo builds the schema with its own copy of graphql-js (CommonJS) while this module may load
// the ESM one; graphql-js's isObjectType & co. then throw "from another module or realm". These
// read the types by shape instead.
function namedTypeOf(type: GraphQLOutputType): GraphQLNamedType {
  let named: GraphQLOutputType = type;
  while ('ofType' in named) named = named.ofType;
  return named;
}

function isList(type: GraphQLOutputType): boolean {
  return String(type).replace(/!$/, '').startsWith('[');
}

function isComposite(type: GraphQLNamedType): boolean {
  return 'getFields' in type || 'getTypes' in type;
}

/** `weight` calls per `batchSize` evaluations (rounded up), or per evaluation when not batched. */
function batched(evaluations: number, weight: number, batchSize: number | undefined): number {
  if (weight === 0 || evaluations === 0) return 0;
  return weight * (batchSize ? Math.ceil(evaluations / batchSize) : evaluations);
}

function sizeOf(listSize: ListSize, args: readonly ArgumentNode[], field: GraphQLField<unknown, unknown>, valueOf: (node: ValueNode | undefined) => unknown): number {
  for (const name of listSize.slicingArguments) {
    const given = args.find((arg) => arg.name.value === name);
    // `first: null` and a variable left out both mean the resolver's default page, which is the
    // argument's default in the schema: estimate that, not the assumed size of one.
    const value = (given ? valueOf(given.value) : undefined) ?? field.args.find((arg) => arg.name === name)?.defaultValue;
    if (Array.isArray(value)) return value.length;
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value));
  }
  return listSize.assumedSize ?? 1;
}

function directiveOf(field: GraphQLField<unknown, unknown>, name: string): ConstDirectiveNode | undefined {
  return field.astNode?.directives?.find((directive) => directive.name.value === name);
}

function argumentOf(directive: ConstDirectiveNode, name: string) {
  return directive.arguments?.find((arg) => arg.name.value === name)?.value;
}

function intArgument(directive: ConstDirectiveNode, name: string): number | undefined {
  const value = argumentOf(directive, name);
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringsArgument(directive: ConstDirectiveNode, name: string): string[] {
  const value = argumentOf(directive, name);
  if (value?.kind !== Kind.LIST) return value?.kind === Kind.STRING ? [value.value] : [];
  return value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : []));
}

const costs = new WeakMap<GraphQLField<unknown, unknown>, FieldCost>();
const listSizes = new WeakMap<GraphQLField<unknown, unknown>, ListSize | null>();

function costOf(field: GraphQLField<unknown, unknown>): FieldCost {
  let cost = costs.get(field);
  if (cost === undefined) {
    const directive = directiveOf(field, 'cost');
    cost = {
      weight: directive ? (intArgument(directive, 'weight') ?? 0) : 0,
      batchSize: directive ? intArgument(directive, 'batchSize') : undefined,
      itemWeight: directive ? (intArgument(directive, 'itemWeight') ?? 0) : 0,
    };
    costs.set(field, cost);
  }
  return cost;
}

function listSizeOf(field: GraphQLField<unknown, unknown>): ListSize | undefined {
  let listSize = listSizes.get(field);
  if (listSize === undefined) {
    const directive = directiveOf(field, 'listSize');
    listSize = directive
      ? { assumedSize: intArgument(directive, 'assumedSize'), slicingArguments: stringsArgument(directive, 'slicingArguments'), sizedFields: stringsArgument(directive, 'sizedFields') }
      : null;
    listSizes.set(field, listSize);
  }
  return listSize ?? undefined;
}
