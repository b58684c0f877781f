import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTrustedManifest, type GraphQLSource } from './build-trusted-manifest.ts';

const USAGE = 'usage: npm run trusted-documents -- <dir or .graphql files…> [--out manifest.json]';
const EXTENSIONS = /\.(graphql|gql)$/;

/**
 * `npm run trusted-documents`: reads the client's .graphql documents (directories searched
 * recursively, in a stable order) and writes the manifest to --out, or to standard output.
 * Returns the process exit code; messages go to `err`.
 */
export function runTrustedDocumentsCli(args: readonly string[], out: (text: string) => void, err: (text: string) => void): number {
  const paths: string[] = [];
  let output: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--out') {
      output = args[++i];
      if (!output) return fail(err, '--out needs a file name');
    } else if (arg.startsWith('-')) {
      return fail(err, `unknown option ${arg}`);
    } else {
      paths.push(arg);
    }
  }
  if (paths.length === 0) return fail(err, 'no documents given');
  try {
    const sources: GraphQLSource[] = paths.flatMap(documentFiles).map((name) => ({ name, text: readFileSync(name, 'utf8') }));
    if (sources.length === 0) return fail(err, `no .graphql or .gql file under ${paths.join(', ')}`);
    const manifest = buildTrustedManifest(sources);
    const json = `${JSON.stringify(manifest, null, 2)}\n`;
    if (output) {
      writeFileSync(output, json);
      err(`${manifest.operations.length} operation(s) from ${sources.length} file(s) written to ${output}\n`);
    } else {
      out(json);
    }
    return 0;
  } catch (error) {
    return fail(err, (error as Error).message, false);
  }
}

// Private: a file as given, or every document under a directory.
function documentFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => EXTENSIONS.test(name))
    .sort()
    .map((name) => join(path, name))
    .filter((name) => statSync(name).isFile());
}

function fail(err: (text: string) => void, message: string, usage = true): number {
  err(`trusted-documents: ${message}\n${usage ? `${USAGE}\n` : ''}`);
  return 1;
}
