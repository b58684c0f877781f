import { readFileSync } from 'node:fs';

/** One instruction: `COPY --from=build /app/dist dist/` is { keyword: 'COPY', flags: { from: 'build' }, args: ['/app/dist', 'dist/'] }. */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  /** Whitespace-separated arguments after the flags, or the JSON array of the exec form. */
  args: string[];
  /** Everything after the keyword, as written (continuations joined). */
  text: string;
}

export interface Stage {
  /** The base image, ARGs substituted. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/**
 * The repository's Dockerfile, stage by stage: line continuations joined, comments dropped,
 * `${ARG}` substituted in FROM from the global ARGs' defaults. Enough of
 * https://docs.docker.com/reference/dockerfile/ for this repository's file; an instruction it
 * does not know is kept as written.
 */
export function readDockerfile(text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')): Stage[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = parseInstruction(keyword.toUpperCase(), rest);
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.split('=');
      globalArgs.set(name, value);
    } else if (instruction.keyword === 'FROM') {
      const from = instruction.args[0]!.replace(/\$\{(\w+)\}/g, (_, name: string) => globalArgs.get(name) ?? '');
      const as = instruction.args.findIndex((arg) => arg.toUpperCase() === 'AS');
      stages.push({ from, name: as >= 0 ? instruction.args[as + 1] : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function parseInstruction(keyword: string, text: string): Instruction {
  const flags: Record<string, string> = {};
  let rest = text;
  for (let flag = /^--([\w-]+)=(\S+)\s*/.exec(rest); flag; flag = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    flags[flag[1]!] = flag[2]!;
    rest = rest.slice(flag[0].length);
  }
  // HEALTHCHECK's own command is a CMD: its arguments are that CMD's.
  if (keyword === 'HEALTHCHECK' && /^CMD\s/.test(rest)) rest = rest.slice(4).trim();
  const args = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/).filter(Boolean);
  return { keyword, flags, args, text };
}
