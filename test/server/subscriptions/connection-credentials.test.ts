import { describe, expect, it } from 'vitest';
import { credentialHeadersOf } from '../../../src/server/subscriptions/connection-credentials.ts';

describe("a WebSocket connection's credentials", () => {
  it('are read from connectionParams, names ignoring case', () => {
    expect(credentialHeadersOf({ Authorization: 'Bearer k1' }, {})).toEqual({ headers: { authorization: 'Bearer k1' } });
    expect(credentialHeadersOf({ 'X-API-Key': 'k1', other: 'x' }, {})).toEqual({ headers: { 'x-api-key': 'k1' } });
  });

  it('come from the upgrade request when connectionParams name none, and never from both', () => {
    const upgrade = { authorization: 'Bearer from-header', 'x-api-key': 'header-key' };
    expect(credentialHeadersOf({ something: 'else' }, upgrade)).toEqual({ headers: { authorization: 'Bearer from-header', 'x-api-key': 'header-key' } });
    expect(credentialHeadersOf({ authorization: 'Bearer from-params' }, upgrade)).toEqual({ headers: { authorization: 'Bearer from-params' } });
  });

  it('pass a name given twice on as two values (which the Authenticator refuses), and refuse a value that is not a string', () => {
    expect(credentialHeadersOf({ authorization: 'Bearer a', Authorization: 'Bearer b' }, {})).toEqual({ headers: { authorization: ['Bearer a', 'Bearer b'] } });
    expect(credentialHeadersOf({ 'x-api-key': { nested: true } }, {})).toEqual({ refused: 'connectionParams.x-api-key is not a string' });
  });
});
