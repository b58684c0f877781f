/** What a masked value becomes. */
export const REDACTED = '[redacted]';

/**
 * An address anywhere in a text: providers repeat the customer's email in free-text messages
 * ("Another customer already has the email '…'"), where no field name marks it.
 */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/**
 * Masks personal data in text a provider wrote (error bodies, details) before it reaches a log
 * line: the values of the named fields wherever they appear, as JSON members (`"email":"…"`, at
 * any depth, a string or a bare number) or form/query parameters (`email=…`), and, when `email`
 * is among the fields, anything shaped like an email address. Works on text, not parsed JSON:
 * a body cut at its size bound is no longer valid JSON and must still be masked. A name a provider
 * writes into a sentence is not found: only fields are.
 */
export class PersonalDataRedactor {
  private readonly member: RegExp | undefined;
  private readonly parameter: RegExp | undefined;
  private readonly emails: boolean;

  /** `fields`: names, matched without regard to case; empty: the text passes unchanged. */
  constructor(fields: readonly string[]) {
    for (const field of fields) {
      if (!/^[A-Za-z0-9_-]+$/.test(field)) throw new TypeError(`a redacted field is a plain name: ${JSON.stringify(field)}`);
    }
    const names = fields.join('|');
    this.member = fields.length === 0 ? undefined : new RegExp(`("(?:${names})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"?|-?[0-9][0-9.eE+-]*)`, 'gi');
    this.parameter = fields.length === 0 ? undefined : new RegExp(`((?:^|[?&;\\s])(?:${names})=)[^&;\\s]*`, 'gi');
    this.emails = fields.some((field) => field.toLowerCase() === 'email');
  }

  get enabled(): boolean {
    return this.member !== undefined;
  }

  redact(text: string): string {
    if (!this.member || !this.parameter) return text;
    let out = text.replace(this.member, `$1"${REDACTED}"`).replace(this.parameter, `$1${REDACTED}`);
    if (this.emails) out = out.replace(EMAIL, REDACTED);
    return out;
  }
}
