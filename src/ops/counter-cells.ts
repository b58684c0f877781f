import type { Counter } from 'prom-client';

/** One series' running total; a caller that keeps it adds to `value` with no lookup at all. */
export interface Cell {
  value: number;
  published: number;
  readonly labels: Record<string, string>;
}

interface Node {
  next: Map<string, Node> | undefined;
  cell: Cell | undefined;
}

/**
 * A prom-client counter whose hot path is one addition. prom-client hashes the label values on
 * every `inc` (its `labels()` children too), which a warm page would pay hundreds of times for its
 * cache lookups; here each label set is found by up to five Map lookups with no allocation, and
 * what it gathered goes into the counter when the registry collects (a scrape).
 */
export class CounterCells {
  private readonly root: Node = { next: undefined, cell: undefined };
  private readonly cells: Cell[] = [];

  constructor(
    private readonly counter: Counter<string>,
    private readonly labelNames: readonly string[],
  ) {
    if (labelNames.length > 5) throw new TypeError(`CounterCells takes at most 5 labels: ${labelNames.length}`);
  }

  /** Adds `by` to the series with these label values, in the order of the counter's label names. */
  add(by: number, a: string, b = '', c = '', d = '', e = ''): void {
    this.cell(a, b, c, d, e).value += by;
  }

  /** Moves what was added since the last collect into the counter; the counter's `collect` calls it. */
  flush(): void {
    for (const cell of this.cells) {
      const delta = cell.value - cell.published;
      if (delta === 0) continue;
      this.counter.inc(cell.labels, delta);
      cell.published = cell.value;
    }
  }

  /** The running total of the series with these label values (made on first use). */
  cell(a: string, b = '', c = '', d = '', e = ''): Cell {
    let node = this.root;
    const depth = this.labelNames.length;
    if (depth > 0) node = child(node, a);
    if (depth > 1) node = child(node, b);
    if (depth > 2) node = child(node, c);
    if (depth > 3) node = child(node, d);
    if (depth > 4) node = child(node, e);
    if (node.cell === undefined) {
      const values = [a, b, c, d, e];
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      node.cell = { value: 0, published: 0, labels };
      this.cells.push(node.cell);
    }
    return node.cell;
  }
}

// Private:

function child(node: Node, value: string): Node {
  node.next ??= new Map();
  let next = node.next.get(value);
  if (next === undefined) node.next.set(value, (next = { next: undefined, cell: undefined }));
  return next;
}
