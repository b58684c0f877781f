export { HubSpotClient } from './client.ts';
export { createHubSpotLoaders, type HubSpotLoaders } from './loaders.ts';
export { dealsOf, DEAL_CURSOR_SCOPE } from './deals.ts';
