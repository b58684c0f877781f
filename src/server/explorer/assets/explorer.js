// The explorer page's own script: mounts GraphiQL (its UMD build, with React's, loaded before this
// one) against the URL the page was served from. No inline script: the page's CSP allows none.
(function mountExplorer() {
  'use strict';
  const { React, ReactDOM, GraphiQL } = window;
  const settings = JSON.parse(document.getElementById('explorer-settings').textContent);
  // The page's own URL without its query string: /graphql, behind whatever prefix a proxy added.
  const url = new URL(window.location.pathname, window.location.href);
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

  const fetcher = GraphiQL.createFetcher({
    url: url.href,
    // GraphiQL's build bundles graphql-ws's client; it sends the headers editor's content as
    // connection_init's payload, where the gateway reads `authorization` and `x-api-key`.
    subscriptionUrl: subscriptionUrl.href,
    // The gateway does not implement @defer/@stream: one JSON answer per request.
    enableIncrementalDelivery: false,
  });

  const logo = React.createElement(GraphiQL.Logo, null, 'Tributary');
  const props = {
    fetcher,
    defaultQuery: settings.query,
    // Credentials are not written to the browser's storage.
    shouldPersistHeaders: false,
    ...(settings.headers === undefined ? {} : { defaultHeaders: settings.headers, defaultEditorToolsVisibility: 'headers' }),
  };
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props, logo));
})();
