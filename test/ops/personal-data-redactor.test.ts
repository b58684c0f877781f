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
    const body = '{"code":"resource_missing","name":"Grace","request_log_url":"https://dashboard.stripe.com/logs/req_1"}';
    expect(new PersonalDataRedactor(['phone']).redact(body)).toBe(body);
    const withEmail = '{"code":"resource_missing","email":"grace@example.com"}';
    expect(new PersonalDataRedactor([]).redact(withEmail)).toBe(withEmail);
    expect(new PersonalDataRedactor(['name']).redact('{"username":"gh","name":"Grace"}')).toBe(`{"username":"gh","name":"${REDACTED}"}`);
  });

  it('refuses a field that is not a plain name', () => {
    expect(() => new PersonalDataRedactor(['e(mail'])).toThrow('a redacted field is a plain name: "e(mail"');
  });
});

describe('redaction of what reviewers found passing', () => {
  it('masks the end of an address a body was cut inside', () => {
    const redactor = new PersonalDataRedactor(DEFAULT);
    expect(redactor.redact(`{"message":"Another customer already has the email 'jane.doe@exam`)).toBe(`{"message":"Another customer already has the email '${REDACTED}`);
    expect(redactor.redact('already has jane.doe@')).toBe(`already has ${REDACTED}`);
  });

  it('masks fields of JSON written inside a JSON string, as HubSpot embeds its legacy validation results', () => {
    const redactor = new PersonalDataRedactor(DEFAULT);
    const inner = JSON.stringify([{ isValid: false, firstname: 'Jane', lastname: 'Doe "JD" \\ Smith', error: 'INVALID_EMAIL' }]);
    const body = JSON.stringify({ status: 'error', message: `Property values were not valid: ${inner}`, correlationId: 'c0ffee' });
    const masked = redactor.redact(body);
    expect(masked).not.toMatch(/Jane|Doe|JD|Smith/);
    const message = (JSON.parse(masked) as { message: string }).message;
    expect(JSON.parse(message.slice('Property values were not valid: '.length))).toEqual([
      { isValid: false, firstname: REDACTED, lastname: REDACTED, error: 'INVALID_EMAIL' },
    ]);
    expect(redactor.redact(String.raw`{"message":"[{\"firstname\":\"Jane`)).toBe(String.raw`{"message":"[{\"firstname\":\"${REDACTED}\"`);
  });

  it('masks HubSpot propertyValue, plain or inside a string, whichever fields are listed', () => {
    const redactor = new PersonalDataRedactor(['email']);
    expect(redactor.redact('{"propertyName":"phone","propertyValue":"+1 555 0100"}')).toBe(`{"propertyName":"phone","propertyValue":"${REDACTED}"}`);
    expect(redactor.redact(String.raw`{"message":"{\"propertyValue\":\"+1 555 0100\",\"code\":\"INVALID\"}"}`)).toBe(
      String.raw`{"message":"{\"propertyValue\":\"${REDACTED}\",\"code\":\"INVALID\"}"}`,
    );
    expect(new PersonalDataRedactor([]).redact('{"propertyValue":"+1 555 0100"}')).toBe('{"propertyValue":"+1 555 0100"}');
  });

  it('masks emails in free text whichever fields are listed, unless none are', () => {
    const text = `{"message":"Another customer already has the email 'grace@example.com'"}`;
    expect(new PersonalDataRedactor(['phone']).redact(text)).toBe(`{"message":"Another customer already has the email '${REDACTED}'"}`);
    expect(new PersonalDataRedactor([]).redact(text)).toBe(text);
  });
});
