import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployedNodeFlags } from '../bench/deployed-launch.ts';
import { readComposeFile } from './support/compose-file.ts';
import { readDockerfile, type Instruction } from './support/dockerfile.ts';
import { IMAGE_WORKDIR, RUNTIME_INSTALL } from './support/runtime-stage.ts';

const root = new URL('../', import.meta.url);
const stages = readDockerfile();
const [build, runtime] = stages;
const of = (instructions: Instruction[], keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword);

/**
 * What the image holds and how it starts, read from the Dockerfile. That these files are enough
 * to serve is test/deploy/production-layout.test.ts's subject: it rebuilds the runtime stage from
 * the same instructions and starts it.
 */
describe('Dockerfile', () => {
  it('builds in one stage and runs from another, both on the same pinned Node 20 image', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    expect(build!.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(runtime!.from).toBe(build!.from);
    for (const stage of stages) expect(of(stage.instructions, 'WORKDIR').map((workdir) => workdir.text)).toEqual([IMAGE_WORKDIR]);
  });

  it('compiles the gateway and the simulators to JavaScript, the entry points compose starts', () => {
    expect(of(build!.instructions, 'RUN').map((run) => run.text)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    const buildConfig = JSON.parse(readFileSync(new URL('tsconfig.build.json', root), 'utf8')) as { include: string[]; compilerOptions: { outDir: string; rootDir: string } };
    expect(buildConfig).toMatchObject({ include: ['src'], compilerOptions: { outDir: 'dist', rootDir: 'src' } });
    const copied = of(build!.instructions, 'COPY').flatMap((copy) => copy.args.slice(0, -1));
    for (const input of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']) expect(copied).toContain(input);
    // dist/<x>.js is src/<x>.ts compiled: every `node dist/…` compose runs has its source.
    const compose = readComposeFile();
    const entries = Object.values(compose.services).flatMap((service) => (service.command?.[0] === 'node' ? [service.command.at(-1)!] : []));
    expect(entries.sort()).toEqual(['dist/main.js', 'dist/simulators/main.js']);
    for (const entry of entries) expect(existsSync(new URL(entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'), root)), entry).toBe(true);
  });

  it('installs production dependencies only, leaves no npm cache, and takes only the build\'s dist/ from the build stage', () => {
    expect(of(runtime!.instructions, 'RUN').map((run) => run.text)).toEqual([RUNTIME_INSTALL]);
    const copies = of(runtime!.instructions, 'COPY').map((copy) => [copy.flags['from'] ?? 'context', ...copy.args]);
    expect(copies).toEqual([
      ['context', 'package.json', 'package-lock.json', './'],
      ['build', '/app/dist', 'dist/'],
      ['context', 'schema', 'schema/'],
      ['context', 'src/ops/dashboard', 'dist/ops/dashboard/'],
      ['context', 'src/server/explorer/assets', 'dist/server/explorer/assets/'],
    ]);
  });

  it('runs as a non-root user with NODE_ENV=production, the code owned by root', () => {
    const instructions = runtime!.instructions;
    const users = of(instructions, 'USER').map((user) => user.text);
    expect(users).toEqual(['node']);
    // Nothing after USER runs a command, and no COPY hands files to the user it runs as.
    expect(of(instructions.slice(instructions.findIndex((instruction) => instruction.keyword === 'USER')), 'RUN')).toEqual([]);
    expect(of(instructions, 'COPY').filter((copy) => copy.flags['chown'] !== undefined || copy.flags['chmod'] !== undefined)).toEqual([]);
    expect(of(instructions, 'ENV').map((env) => env.text)).toEqual(['NODE_ENV=production']);
  });

  it('checks its health with node against /readyz, on the port the gateway listens on', () => {
    const [healthcheck] = of(runtime!.instructions, 'HEALTHCHECK');
    expect(healthcheck?.args.slice(0, 2)).toEqual(['node', '-e']);
    expect(healthcheck?.args[2]).toMatch(/process\.env\.PORT \|\| 4000\) \+ '\/readyz'/);
    expect(healthcheck?.flags).toMatchObject({ interval: '10s', timeout: '3s', retries: '3' });
  });

  it('starts the gateway with node and the bench\'s heap flags, as compose does', () => {
    const [cmd] = of(runtime!.instructions, 'CMD');
    expect(cmd?.args).toEqual(['node', ...deployedNodeFlags(), 'dist/main.js']);
    expect(readComposeFile().services['gateway']?.command).toEqual(cmd?.args);
  });
});
