import { BENCH_HEADERS } from './bench-credentials.ts';
import { isDeepStrictEqual } from 'node:util';

export interface GraphQLAnswer {
  data?: unknown;
  errors?: Array<{ message?: string; path?: unknown[]; extensions?: { code?: unknown } }>;
}

/** One request to a system under test, bounded in time. */
export async function postGraphQL(url: string, body: string, timeoutMs = 30_000): Promise<{ status: number; answer: GraphQLAnswer }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: BENCH_HEADERS,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let answer: GraphQLAnswer;
  try {
    answer = JSON.parse(text) as GraphQLAnswer;
  } catch {
    answer = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, answer };
}

/**
 * Tributary's answers (their `data`) to every request body a run will send, keyed by the body.
 * Every other system is checked against these, and the ceiling serves them. A reference answer
 * with errors stops the run: there would be nothing sound to compare with.
 */
export async function collectReferenceAnswers(url: string, bodies: Iterable<string>, concurrency = 8): Promise<Map<string, unknown>> {
  const answers = new Map<string, unknown>();
  const queue = [...new Set(bodies)];
  const worker = async () => {
    for (let body = queue.shift(); body !== undefined; body = queue.shift()) {
      const { status, answer } = await postGraphQL(url, body);
      if (status !== 200 || answer.errors !== undefined || answer.data === undefined) {
        throw new Error(`the reference (Tributary) failed a benchmark request: HTTP ${status} ${JSON.stringify(answer.errors ?? answer).slice(0, 500)}`);
      }
      answers.set(body, answer.data);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

/** The ceiling's file: request body → the response body it writes, `{"data": …}`. */
export function ceilingAnswers(reference: Map<string, unknown>): Record<string, string> {
  return Object.fromEntries([...reference].map(([body, data]) => [body, JSON.stringify({ data })]));
}

/**
 * Why a system's answer is not the reference's: undefined when it is the same, else a short
 * reason naming the first JSON path that differs.
 */
export function differenceFromReference(status: number, answer: GraphQLAnswer, expected: unknown): string | undefined {
  if (status !== 200) return `HTTP ${status}`;
  if (answer.errors !== undefined) {
    const first = answer.errors[0];
    return `errors: ${first?.message ?? 'unknown'}${first?.path ? ` at ${first.path.join('.')}` : ''}`;
  }
  if (isDeepStrictEqual(answer.data, expected)) return undefined;
  return `data differs at ${firstDifference(answer.data, expected, 'data') ?? 'data'}`;
}

function firstDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(actual, expected)) return undefined;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `${path} (length ${actual.length}, expected ${expected.length})`;
    for (let i = 0; i < actual.length; i++) {
      const found = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (found) return found;
    }
    return path;
  }
  if (isObject(actual) && isObject(expected)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const found = firstDifference(actual[key], expected[key], `${path}.${key}`);
      if (found) return found;
    }
    return path;
  }
  return `${path} (${JSON.stringify(actual)?.slice(0, 80)}, expected ${JSON.stringify(expected)?.slice(0, 80)})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
