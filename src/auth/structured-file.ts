import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../config-error.ts';

/**
 * Reads a YAML or JSON configuration file (JSON is YAML) and checks it against `schema`. Every
 * problem is reported at once (one ConfigError, a problem each), each with its path in the file,
 * under the variable that named the file. Values are never echoed: the files hold secrets.
 */
export function readStructuredFile<T>(variable: string, path: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(variable, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    const where = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new ConfigError(variable, `${path} is not valid YAML or JSON${where ? ` (line ${where})` : ''}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(issueProblems(variable, parsed.error.issues));
  return parsed.data;
}

/** One problem per issue, each naming the variable and the issue's place in the file (`prefix` first). */
export function issueProblems(variable: string, issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigProblem[] {
  return issues.map((issue) => {
    const where = [...prefix, ...issue.path].map(String).join('.');
    return { variable, message: `${where || '(top level)'}: ${issue.message}` };
  });
}

/**
 * A secret given as a file path (`tokenFile`), the way container secret managers mount them:
 * its trimmed content, or why it cannot be had (the path and an error code, never content).
 */
export function readSecretFile(path: string): { secret: string } | { problem: string } {
  let content: string;
  try {
    content = readFileSync(path, 'utf8').trim();
  } catch (error) {
    return { problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  return content ? { secret: content } : { problem: `${path} is empty` };
}
