import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** promtool parses and evaluates in well under a second; a busy machine gets ample room. */
const PROMTOOL_TIMEOUT_MS = 15_000;

export interface PromtoolRun {
  ok: boolean;
  /** stdout and stderr together, to print when `ok` is false. */
  output: string;
}

/** Runs `promtool <args>` from the repository root; never throws for a failing check. */
export function promtool(args: string[]): Promise<PromtoolRun> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd: ROOT, timeout: PROMTOOL_TIMEOUT_MS }, (error, stdout, stderr) => {
      resolve({ ok: error === null, output: `$ promtool ${args.join(' ')}\n${stdout}${stderr}${error ? `\n${error.message}` : ''}` });
    });
  });
}

/**
 * Whether the promtool suites can run (Debian/Ubuntu: `apt-get install prometheus`; .ci/run
 * installs it). Outside CI a missing promtool skips them with a warning; in CI (CI=true) it fails
 * the run, so a green CI always means the alert rules were checked.
 */
export async function promtoolForTests(): Promise<boolean> {
  const available = (await promtool(['--version'])).ok;
  if (!available && process.env['CI'] === 'true') {
    throw new Error('CI=true but promtool is not on the PATH (apt-get install prometheus): the alert rule tests cannot run');
  }
  if (!available) console.warn('promtool is not on the PATH: skipping the alert rule tests (apt-get install prometheus to run them)');
  return available;
}
