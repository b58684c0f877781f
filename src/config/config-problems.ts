import { ConfigError, type ConfigProblem } from '../config-error.ts';

/**
 * The problems found while loading the configuration, in the order found. Loading goes on past
 * each one (with a stand-in value) so that one ConfigError at the end can name them all.
 */
export class ConfigProblems {
  private readonly found: ConfigProblem[] = [];

  add(variable: string, message: string): void {
    this.found.push({ variable, message });
  }

  /** Whether any of these variables has a problem already: a rule between variables then waits for the fix. */
  any(...variables: string[]): boolean {
    return this.found.some((problem) => variables.includes(problem.variable));
  }

  /** Runs a loader that throws ConfigError (a file's reader); its problems join these, and `fallback` stands in. */
  attempt<T>(load: () => T, fallback: T): T {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.found.push(...error.problems);
      return fallback;
    }
  }

  throwIfAny(): void {
    if (this.found.length > 0) throw new ConfigError(this.found);
  }
}
