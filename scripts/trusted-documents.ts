// Builds a trusted documents manifest from .graphql files; see the README, "Trusted documents".
import { runTrustedDocumentsCli } from '../src/server/trusted-documents/trusted-documents-cli.ts';

process.exitCode = runTrustedDocumentsCli(process.argv.slice(2), (text) => process.stdout.write(text), (text) => process.stderr.write(text));
