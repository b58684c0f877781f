/**
 * Stripe's search query language (https://docs.stripe.com/search#search-query-language), the part
 * the simulator answers: clauses `field:value`, numeric `field>value` (`<`, `>=`, `<=`),
 * `metadata['key']:value`, negation with a leading `-`, joined by spaces or `AND` (all must
 * match) or by `OR` (any), never both in one query and without parentheses, at most ten clauses.
 * Values are quoted (`'…'` or `"…"`, `\` escapes a quote); numbers may be bare.
 */
export type FieldType = 'string' | 'token' | 'numeric';

export interface SearchClause {
  field: string;
  /** Set for `metadata['key']`. */
  metadataKey?: string;
  operator: ':' | '>' | '<' | '>=' | '<=';
  value: string;
  negated: boolean;
}

export interface SearchQuery {
  join: 'AND' | 'OR';
  clauses: SearchClause[];
}

/** Stripe: "You can combine up to 10 query clauses in a search". */
export const MAX_CLAUSES = 10;

const CLAUSE = /^(-?)(metadata\[(?:'([^']*)'|"([^"]*)")\]|[a-z_][a-z0-9_.]*)(>=|<=|:|>|<)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/i;

/** The query, or the reason Stripe would refuse it (answered as a 400 naming `query`). */
export function parseSearchQuery(query: string, fields: Readonly<Record<string, FieldType>>): SearchQuery | { error: string } {
  const clauses: SearchClause[] = [];
  const joins = new Set<'AND' | 'OR'>();
  let rest = query.trim();
  while (rest.length > 0) {
    const match = CLAUSE.exec(rest);
    if (!match) return { error: `Invalid search query: could not parse "${rest.slice(0, 40)}".` };
    const [whole, minus, fieldText, singleKey, doubleKey, operator, rawValue] = match;
    const metadataKey = singleKey ?? doubleKey;
    const field = metadataKey === undefined ? fieldText! : 'metadata';
    const type = metadataKey === undefined ? fields[field] : 'string';
    if (type === undefined) return { error: `Field \`${field}\` is an unsupported search field for this resource.` };
    if (operator !== ':' && type !== 'numeric') return { error: `Field \`${field}\` does not support the \`${operator}\` operator.` };
    clauses.push({ field, ...(metadataKey === undefined ? {} : { metadataKey }), operator: operator as SearchClause['operator'], value: unquote(rawValue!), negated: minus === '-' });
    rest = rest.slice(whole.length);
    if (rest.length === 0) break;
    const join = /^\s+(?:(AND|OR)\s+)?/i.exec(rest);
    if (!join) return { error: `Invalid search query: expected a space, AND or OR before "${rest.slice(0, 40)}".` };
    joins.add((join[1]?.toUpperCase() as 'AND' | 'OR' | undefined) ?? 'AND');
    rest = rest.slice(join[0].length);
  }
  if (clauses.length === 0) return { error: 'Invalid search query: it has no clause.' };
  if (joins.size > 1) return { error: 'Invalid search query: AND and OR cannot be combined in one query.' };
  if (clauses.length > MAX_CLAUSES) return { error: `Invalid search query: at most ${MAX_CLAUSES} clauses are allowed, got ${clauses.length}.` };
  return { join: joins.has('OR') ? 'OR' : 'AND', clauses };
}

/** Whether one object matches the query; `read` gives a field's value as Stripe indexes it. */
export function matchesQuery(query: SearchQuery, read: (clause: SearchClause) => string | number | boolean | null | undefined): boolean {
  const test = (clause: SearchClause) => matchesClause(clause, read(clause)) !== clause.negated;
  return query.join === 'OR' ? query.clauses.some(test) : query.clauses.every(test);
}

function matchesClause(clause: SearchClause, actual: string | number | boolean | null | undefined): boolean {
  if (actual === null || actual === undefined) return false;
  if (clause.operator === ':') {
    // Exact match; Stripe compares string values case-insensitively.
    return String(actual).toLowerCase() === clause.value.toLowerCase();
  }
  const wanted = Number(clause.value);
  const value = Number(actual);
  switch (clause.operator) {
    case '>': return value > wanted;
    case '<': return value < wanted;
    case '>=': return value >= wanted;
    case '<=': return value <= wanted;
  }
}

function unquote(raw: string): string {
  const quote = raw[0];
  if (quote !== "'" && quote !== '"') return raw;
  return raw.slice(1, -1).replace(/\\(.)/g, '$1');
}
