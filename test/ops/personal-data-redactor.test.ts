import { describe, expect, it } from 'vitest';
import { PersonalDataRedactor, REDACTED } from '../../src/ops/personal-data-redactor.ts';

const DEFAULT = ['email', 'name', 'firstname', 'lastname', 'phone'];

describe('personal data redaction in provider error bodies', () => {
  it('masks the named fields at any depth, strings and numbers, whatever their case', () => {
    const body = JSON.stringify({
      status: 'error',
      message: 'Property values were not valid',
      correlationId: 'c0ffee',
      context: { properties: { Email: 'grace@example.com', firstname: 'Grace', lastname: 'Hopper "Amazing"', phone: 15551234 } },
    });
    const masked = new PersonalDataRedactor(DEFAULT).redact(body);
    expect(JSON.parse(masked)).toEqual({
      status: 'error',
      message: 'Property values were not valid',
      correlationId: 'c0ffee',
      context: { properties: { Email: REDACTED, firstname: REDACTED, lastname: REDACTED, phone: REDACTED } },
    });
  });

  it('masks email addresses in free text and in a body cut short, where no field name marks them', () => {
    const redactor = new PersonalDataRedactor(DEFAULT);
    expect(redactor.redact(`{"error":{"message":"Another customer already has the email 'ada.l+x@mail.example.org'"}}`)).toBe(`{"error":{"message":"Another customer already has the email '${REDACTED}'"}}`);
    expect(redactor.redact('{"error":{"name":"Grace Hop')).toBe(`{"error":{"name":"${REDACTED}"`);
    expect(redactor.redact('email=grace%40example.com&limit=10')).toBe(`email=${REDACTED}&limit=10`);
  });

  it('leaves fields that are not listed, and everything when the list is empty (LOG_REDACT_FIELDS=none)', () => {
    const body = '{"code":"resource_missing","email":"grace@example.com","request_log_url":"https://dashboard.stripe.com/logs/req_1"}';
    expect(new PersonalDataRedactor(['phone']).redact(body)).toBe(body);
    expect(new PersonalDataRedactor([]).redact(body)).toBe(body);
    expect(new PersonalDataRedactor(['name']).redact('{"username":"gh","name":"Grace"}')).toBe(`{"username":"gh","name":"${REDACTED}"}`);
  });

  it('refuses a field that is not a plain name', () => {
    expect(() => new PersonalDataRedactor(['e(mail'])).toThrow('a redacted field is a plain name: "e(mail"');
  });
});
