/**
 * The series selectors of a PromQL expression (`name{label="value", …}`), enough to check alert
 * rules and dashboards against ops/metric-names.json. Not a PromQL parser: it knows the words
 * that are not metric names (functions, aggregations, modifiers) and skips strings, ranges and
 * label lists of `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`.
 */
export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  name: string;
  matchers: Matcher[];
}

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const LABEL_LIST_MODIFIERS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const OTHER_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

const TOKEN = /\s+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\[[^\]]*\]|\{[^}]*\}|[A-Za-z_:][\w:]*|\$\{?\w+\}?|\d[\w.]*|\.\d+|[()]|==|!=|>=|<=|[-+*/%^,<>]/gy;
const MATCHER = /\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function tokens(expr: string): string[] {
  const found: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expr);
    if (!match) throw new Error(`cannot read PromQL at ${at}: ${JSON.stringify(expr.slice(at, at + 30))} in ${expr}`);
    if (match[0].trim() !== '') found.push(match[0]);
  }
  return found;
}

function matchersOf(block: string): Matcher[] {
  const inner = block.slice(1, -1).trim();
  const matchers: Matcher[] = [];
  MATCHER.lastIndex = 0;
  while (MATCHER.lastIndex < inner.length) {
    const match = MATCHER.exec(inner);
    if (!match) throw new Error(`cannot read the label matchers ${block}`);
    matchers.push({ label: match[1]!, op: match[2] as Matcher['op'], value: match[3]! });
  }
  return matchers;
}

export function selectorsIn(expr: string): Selector[] {
  const list = tokens(expr);
  const selectors: Selector[] = [];
  for (let i = 0; i < list.length; i += 1) {
    const token = list[i]!;
    if (LABEL_LIST_MODIFIERS.has(token)) {
      if (list[i + 1] === '(') i = list.indexOf(')', i);
      continue;
    }
    if (!/^[A-Za-z_:]/.test(token) || AGGREGATIONS.has(token) || OTHER_KEYWORDS.has(token)) continue;
    if (list[i + 1] === '(') continue; // a function call
    const next = list[i + 1];
    selectors.push({ name: token, matchers: next?.startsWith('{') ? matchersOf(next) : [] });
  }
  return selectors;
}
