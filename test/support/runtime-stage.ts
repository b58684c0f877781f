import { execFile } from 'node:child_process';
import { cp, mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Stage } from './dockerfile.ts';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Dockerfile's WORKDIR in both stages; the rebuilt layout stands for it. */
export const IMAGE_WORKDIR = '/app';
/** The one RUN of the runtime stage this reproduction knows how to perform. */
export const RUNTIME_INSTALL = 'npm ci --omit=dev --no-audit --no-fund && npm cache clean --force';

/** What the runtime stage sets besides its files. */
export interface RuntimeStage {
  env: Record<string, string>;
  user: string | undefined;
  healthcheck: string[];
  cmd: string[];
}

/**
 * Rebuilds the runtime stage's /app in `app` without Docker, instruction by instruction: the
 * build stage's output is `npm run build` of this repository into `buildDist` (its /app/dist),
 * a COPY from the context copies from this repository, and the install runs as written except
 * that it may use the npm cache (`--prefer-offline`) and leaves it alone (this machine's cache is
 * not the image's). An instruction it cannot reproduce fails, so the Dockerfile cannot grow a
 * step this rebuild silently skips.
 */
export async function reproduceRuntimeStage(runtime: Stage, app: string, buildDist: string): Promise<RuntimeStage> {
  // The two slow steps overlap: the build only has to be done by the first COPY --from=build.
  const built = run('npm', ['run', 'build', '--', '--outDir', buildDist], { cwd: REPO_ROOT });
  built.catch(() => undefined);
  const result: RuntimeStage = { env: {}, user: undefined, healthcheck: [], cmd: [] };
  await mkdir(app, { recursive: true });
  for (const { keyword, flags, args, text } of runtime.instructions) {
    switch (keyword) {
      case 'WORKDIR':
        if (text !== IMAGE_WORKDIR) throw new Error(`WORKDIR ${text}: the rebuild stands for ${IMAGE_WORKDIR}`);
        break;
      case 'ENV':
        for (const pair of args) result.env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
        break;
      case 'COPY': {
        if (flags['from'] !== undefined && flags['from'] !== 'build') throw new Error(`COPY --from=${flags['from']}: only the build stage is known`);
        if (flags['from'] === 'build') await built;
        const destination = args.at(-1)!;
        for (const source of args.slice(0, -1)) await copyLikeDocker(hostPathOf(source, flags['from'], buildDist), join(app, destination), destination.endsWith('/') || args.length > 2);
        break;
      }
      case 'RUN':
        if (text !== RUNTIME_INSTALL) throw new Error(`RUN ${text}: the rebuild knows only RUN ${RUNTIME_INSTALL}`);
        await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: { ...process.env, ...result.env } });
        break;
      case 'USER':
        result.user = text;
        break;
      case 'HEALTHCHECK':
        result.healthcheck = args;
        break;
      case 'CMD':
        result.cmd = args;
        break;
      case 'EXPOSE':
        break;
      default:
        throw new Error(`${keyword} ${text}: the rebuild does not know this instruction`);
    }
  }
  await built;
  return result;
}

/** Where a COPY source lies on this machine: the build stage's /app/dist is `buildDist`. */
function hostPathOf(source: string, from: string | undefined, buildDist: string): string {
  if (from === undefined) return join(REPO_ROOT, source);
  if (source === `${IMAGE_WORKDIR}/dist`) return buildDist;
  throw new Error(`COPY --from=build ${source}: the rebuild has only ${IMAGE_WORKDIR}/dist of the build stage`);
}

/** A directory's contents go into the destination; a file into it when it is a directory (`…/`). */
async function copyLikeDocker(source: string, destination: string, intoDirectory: boolean): Promise<void> {
  const isDirectory = (await stat(source)).isDirectory();
  const target = !isDirectory && intoDirectory ? join(destination, basename(source)) : destination;
  await cp(source, target, { recursive: true });
}
