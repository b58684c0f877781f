import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The parts of a docker-compose.yml service the tests read. */
export interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

const REPO_ROOT = new URL('../../', import.meta.url);

/**
 * The repository's docker-compose.yml with `${VAR}` and `${VAR:-default}` replaced as Compose
 * replaces them, from `shell` (the environment `docker compose up` would run in; by default
 * none, so the demo defaults apply).
 */
export function readComposeFile(shell: Record<string, string> = {}): { services: Record<string, ComposeService> } {
  return parse(interpolate(readFileSync(new URL('docker-compose.yml', REPO_ROOT), 'utf8'), shell)) as { services: Record<string, ComposeService> };
}

/** Compose's interpolation (https://docs.docker.com/reference/compose-file/interpolation/), the forms this repository uses. */
export function interpolate(text: string, shell: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = shell[name!];
    return value === undefined || (value === '' && fallback !== undefined) ? (fallback ?? '') : value;
  });
}
