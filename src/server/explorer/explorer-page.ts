import type { ExplorerAssets } from './explorer-assets.ts';

/** What the page's script needs to know, handed over in the HTML as JSON (no inline script). */
export interface ExplorerSettings {
  /** The editor's content on a first visit (GraphiQL keeps the user's own tabs afterwards). */
  readonly query: string;
  /** The headers editor's content, or undefined when requests need no credentials. */
  readonly headers: string | undefined;
}

/** Where the page's assets are served, relative to /graphql so that a path prefix in front of the gateway still works. */
export const ASSETS_PATH = 'explorer/assets';

/**
 * Only the gateway's own origin: its files, its /graphql over fetch and WebSocket (CSP Level 3
 * lets 'self' match ws: and wss: on the same host). `data:` for the fonts and icons GraphiQL's
 * stylesheet inlines. `style-src 'unsafe-inline'`: GraphiQL's dialogs (settings, shortcuts) add a
 * <style> element whose values are measured in the browser (react-remove-scroll's scrollbar gap),
 * so no hash can name it; scripts stay strict, with no inline code at all.
 */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page GraphiQL is mounted on; made once, at start-up. */
export function renderExplorerPage(assets: ExplorerAssets, settings: ExplorerSettings): string {
  const url = (name: string) => `${ASSETS_PATH}/${name}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Tributary explorer</title>
  <link rel="icon" href="data:,">
${assets.styles.map((asset) => `  <link rel="stylesheet" href="${url(asset.name)}">`).join('\n')}
  <script type="application/json" id="explorer-settings">${scriptSafeJson(settings)}</script>
${assets.scripts.map((asset) => `  <script defer src="${url(asset.name)}"></script>`).join('\n')}
</head>
<body>
  <div id="graphiql"><noscript>The explorer needs JavaScript. Without it, POST queries to this URL as JSON.</noscript></div>
</body>
</html>
`;
}

/**
 * JSON inside a <script> element ends at the first `</script`, whatever the JSON means: `<` (and
 * the two line separators JavaScript once refused) are written as escapes JSON.parse reads back.
 */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
