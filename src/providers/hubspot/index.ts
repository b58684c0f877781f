export { HubSpotClient } from './client.ts';
export { createHubSpotLoaders, type HubSpotLoaders } from './loaders.ts';
export { dealsOf, DEAL_CURSOR_SCOPE } from './deals.ts';
export { hubspotWebhookVerifier, createHubSpotWebhookVerifier, hubspotEventOf, type HubSpotWebhookEvent, type HubSpotWebhookVerifierOptions } from './webhook-verifier.ts';
export { hubspotEventMapping } from './event-effects.ts';
