/** One thing wrong with the configuration: the variable to change, and why (never its value if secret). */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * A bad configuration: every problem found, not only the first, so that an operator fixes them
 * in one go. `variable` and the first line of `message` are the first problem's, as they were
 * when loading stopped at it; the other problems follow, one line each. No message holds a secret.
 */
export class ConfigError extends Error {
  readonly variable: string;
  readonly problems: readonly ConfigProblem[];

  constructor(variable: string, message: string);
  constructor(problems: readonly ConfigProblem[]);
  constructor(first: string | readonly ConfigProblem[], message?: string) {
    const problems = typeof first === 'string' ? [{ variable: first, message: message ?? '' }] : first;
    const [head] = problems;
    if (!head) throw new TypeError('a ConfigError needs at least one problem');
    super(problems.map(problemLine).join('\n'));
    this.name = 'ConfigError';
    this.variable = head.variable;
    this.problems = problems;
  }
}

export function problemLine(problem: ConfigProblem): string {
  return `${problem.variable}: ${problem.message}`;
}

/** How start-up and `npm run config:check` print it: one problem a line, each starting with its variable. */
export function formatConfigError(error: ConfigError): string {
  if (error.problems.length === 1) return `Configuration error: ${error.message}\n`;
  return `Configuration error: ${error.problems.length} problems\n${error.problems.map((problem) => `${problemLine(problem)}\n`).join('')}`;
}
