import { readFileSync } from 'node:fs';

const DOCKERFILE = new URL('../Dockerfile', import.meta.url);

/**
 * The node flags the production image starts the gateway with: the Dockerfile's `CMD`, read
 * rather than copied, so that `--compiled` measures Tributary as it is deployed (its V8 heap
 * flags decide both its memory and part of its CPU) and cannot drift from it.
 */
export function deployedNodeFlags(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const argv: unknown = cmd === undefined ? undefined : JSON.parse(cmd);
  if (!Array.isArray(argv) || argv[0] !== 'node' || argv.at(-1) !== 'dist/main.js' || !argv.every((a) => typeof a === 'string')) {
    throw new Error(`the Dockerfile's CMD is not ["node", …flags, "dist/main.js"]: ${cmd ?? 'no CMD'}`);
  }
  return argv.slice(1, -1) as string[];
}
