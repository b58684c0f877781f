import { describe, expect, it } from 'vitest';
import type { ExplorerAsset, ExplorerAssets } from '../../../src/server/explorer/explorer-assets.ts';
import { renderExplorerPage } from '../../../src/server/explorer/explorer-page.ts';

const asset = (name: string): ExplorerAsset => ({ name, body: Buffer.from(''), contentType: 'text/javascript; charset=utf-8' });
const ASSETS: ExplorerAssets = {
  styles: [asset('graphiql.min.0123456789ab.css')],
  scripts: [asset('react.production.min.0123456789ab.js'), asset('explorer.0123456789ab.js')],
  byName: new Map(),
};

describe('the explorer page', () => {
  it('loads its scripts in order, by relative URL, deferred', () => {
    const html = renderExplorerPage(ASSETS, { query: '{ __typename }', headers: undefined });
    const scripts = [...html.matchAll(/<script defer src="([^"]+)"><\/script>/g)].map((match) => match[1]);
    expect(scripts).toEqual(['explorer/assets/react.production.min.0123456789ab.js', 'explorer/assets/explorer.0123456789ab.js']);
    expect(html).toContain('<link rel="stylesheet" href="explorer/assets/graphiql.min.0123456789ab.css">');
  });

  it('carries settings that hold "</script>" and line separators as data, never as markup', () => {
    const settings = { query: '# </script><script>alert(1)</script>\n{ __typename } \u2028\u2029', headers: '{"x-api-key": "</SCRIPT>"}' };
    const html = renderExplorerPage(ASSETS, settings);
    const open = html.indexOf('<script type="application/json" id="explorer-settings">');
    const body = html.slice(html.indexOf('>', open) + 1, html.indexOf('</script>', open));
    expect(JSON.parse(body)).toEqual(settings);
    expect(html.match(/<script/gi)).toHaveLength(3);
    expect(html).not.toMatch(/[\u2028\u2029]/);
  });
});
