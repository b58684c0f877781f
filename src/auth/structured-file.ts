import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../config-error.ts';

/**
 * Reads a YAML or JSON configuration file (JSON is YAML) and checks it against `schema`. Every
 * problem is reported at once, each with its path in the file, under the variable that named the
 * file. Values are never echoed: the files hold secrets.
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
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
    throw new ConfigError(variable, `${path} has ${problems.length} problem(s): ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A secret given inline or as a file path (`tokenFile`), the way container secret managers mount them. */
export function readSecretFile(variable: string, where: string, path: string): string {
  let content: string;
  try {
    content = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(variable, `${where}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!content) throw new ConfigError(variable, `${where}: ${path} is empty`);
  return content;
}
