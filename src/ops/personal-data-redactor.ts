/** What a masked value becomes. */
export const REDACTED = '[redacted]';

/**
 * An address anywhere in a text: providers repeat the customer's email in free-text messages
 * ("Another customer already has the email '…'"), where no field name marks it. The lookbehind
 * starts a match only where a run of local-part characters starts: without it a long run with
 * no `@` (a token, base64) was scanned again from each of its characters, quadratic in its length.
 */
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/**
 * What is left of an address when the text was cut inside it (`jane.doe@exam`): EMAIL needs a
 * dot after the `@`, so the end of a bounded body is masked on its own.
 */
const CUT_EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]*$/;

/**
 * The field HubSpot puts an offending or changed property's value in, whatever the property:
 * masked whenever redaction is on, as the property it belongs to is named elsewhere.
 */
const ALWAYS_MASKED = ['propertyValue'];

/** A JSON string value, possibly cut at the end of the text. */
const PLAIN_STRING = String.raw`"(?:[^"\\]|\\.)*"?`;
/**
 * A JSON string value written inside another JSON string (HubSpot's `message` embeds its legacy
 * validation results: `\"name\":\"Jane\"`): it ends at the first `\"` that is not an escaped
 * quote of the inner document (`\\\"`) nor follows an escaped backslash; or at the text's end.
 */
const ESCAPED_STRING = String.raw`\\"(?:[^"\\]|\\\\\\"|\\\\|\\[^"\\])*(?:\\"|$)`;
const NUMBER = String.raw`-?[0-9][0-9.eE+-]*`;

/**
 * Masks personal data in text a provider wrote (error bodies, details) before it reaches a log
 * line: the values of the named fields wherever they appear, as JSON members (`"email":"…"`, at
 * any depth, a string or a bare number, also inside a JSON string: `\"email\":\"…\"`) or
 * form/query parameters (`email=…`), HubSpot's `propertyValue`, and anything shaped like an email
 * address. Works on text, not parsed JSON: a body cut at its size bound is no longer valid JSON
 * and must still be masked. A name a provider writes into a sentence is not found: only fields are.
 */
export class PersonalDataRedactor {
  private readonly member: RegExp | undefined;
  private readonly escapedMember: RegExp | undefined;
  private readonly parameter: RegExp | undefined;

  /**
   * `fields`: names, matched without regard to case; empty (LOG_REDACT_FIELDS=none): the text
   * passes unchanged. Emails in free text are masked whichever fields are listed: an address is
   * personal data whether or not `email` is named, and `phone` alone must not let them through.
   */
  constructor(fields: readonly string[]) {
    for (const field of fields) {
      if (!/^[A-Za-z0-9_-]+$/.test(field)) throw new TypeError(`a redacted field is a plain name: ${JSON.stringify(field)}`);
    }
    if (fields.length === 0) return;
    const names = [...fields, ...ALWAYS_MASKED].join('|');
    this.member = new RegExp(String.raw`("(?:${names})"\s*:\s*)(?:${PLAIN_STRING}|${NUMBER})`, 'gi');
    this.escapedMember = new RegExp(String.raw`(\\"(?:${names})\\"\s*:\s*)(?:${ESCAPED_STRING}|${NUMBER})`, 'gi');
    this.parameter = new RegExp(String.raw`((?:^|[?&;\s])(?:${names})=)[^&;\s]*`, 'gi');
  }

  get enabled(): boolean {
    return this.member !== undefined;
  }

  redact(text: string): string {
    if (!this.member || !this.escapedMember || !this.parameter) return text;
    return text
      .replace(this.member, `$1"${REDACTED}"`)
      .replace(this.escapedMember, `$1\\"${REDACTED}\\"`)
      .replace(this.parameter, `$1${REDACTED}`)
      .replace(EMAIL, REDACTED)
      .replace(CUT_EMAIL, REDACTED);
  }
}
