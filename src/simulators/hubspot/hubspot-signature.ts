import { createHmac } from 'node:crypto';

/**
 * HubSpot's v3 request signature: base64 HMAC-SHA256, keyed with the app's client secret, over
 * `method + uri + body + timestamp`, where `uri` is the full URL posted to and `timestamp` the
 * `X-HubSpot-Request-Timestamp` in milliseconds
 * (https://developers.hubspot.com/docs/guides/apps/authentication/validating-requests).
 * Tests use it to forge deliveries.
 */
export function signHubSpotV3(
  clientSecret: string,
  method: string,
  uri: string,
  body: string,
  timestampMs: number,
): { 'x-hubspot-signature-v3': string; 'x-hubspot-request-timestamp': string; 'x-hubspot-signature-version': 'v3' } {
  const signature = createHmac('sha256', clientSecret).update(`${method}${uri}${body}${timestampMs}`, 'utf8').digest('base64');
  return {
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': String(timestampMs),
    'x-hubspot-signature-version': 'v3',
  };
}
