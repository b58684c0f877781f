// The /ops page: reads /ops/stream, keeps a few minutes of snapshots, and draws them.
// Plain JavaScript, served as is (no build step); the arithmetic is in ops-rates.js.
import uPlot from './uPlot.esm.js';
import { graphqlRates, providerRates, windowStart, worstBreaker } from './ops-rates.js';

const HISTORY_SECONDS = 5 * 60; // the charts' span
const RATE_WINDOW_SECONDS = 5; // rates and latency over the last 5 s: steadier than one tick
const RECONNECT_MS = 2000;
const PROVIDER_TITLES = { customers: 'Customer service', stripe: 'Stripe', hubspot: 'HubSpot' };
const BREAKER_TEXT = { closed: 'CLOSED', half_open: 'HALF-OPEN', open: 'OPEN', unknown: 'NO DATA' };
const CHARTS = [
  { key: 'callsPerSecond', label: 'calls/s', scale: 1 },
  { key: 'errorRate', label: 'error rate %', scale: 100, range: [0, 100] },
  { key: 'p99Seconds', label: 'p99 ms', scale: 1000 },
];

const status = document.getElementById('status');
const credentialForm = document.getElementById('credential');
const keyInput = document.getElementById('api-key');
/** Held in memory only: a reload asks again, and nothing persists the key in the browser. */
let apiKey = '';
let history = [];
let connection;
const cards = new Map();

credentialForm.addEventListener('submit', (event) => {
  event.preventDefault();
  apiKey = keyInput.value.trim();
  keyInput.value = '';
  credentialForm.hidden = true;
  connect();
});

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

/**
 * fetch() rather than EventSource: EventSource cannot send an Authorization header, and a key in
 * the URL would end in access logs. The stream is the standard `data: <json>` framing.
 */
async function connect() {
  connection?.abort();
  const abort = (connection = new AbortController());
  setStatus('connecting', 'Connecting…');
  try {
    const response = await fetch('/ops/stream', { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: abort.signal });
    if (response.status === 401 || response.status === 403) {
      setStatus('unauthorized', response.status === 401 ? 'An API key with the ops:read scope (your tenant\'s figures) or the METRICS_TOKEN (every tenant\'s) is needed.' : 'This key lacks the ops:read scope.');
      credentialForm.hidden = false;
      keyInput.focus();
      return;
    }
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    setStatus('live', 'Live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
        if (data) receive(JSON.parse(data));
      }
    }
    throw new Error('the stream ended');
  } catch (error) {
    if (abort.signal.aborted) return;
    setStatus('reconnecting', `Disconnected (${error.message}); reconnecting…`);
    setTimeout(() => abort === connection && connect(), RECONNECT_MS);
  }
}

function receive(snapshot) {
  history.push(snapshot);
  const oldest = snapshot.at - (HISTORY_SECONDS + RATE_WINDOW_SECONDS) * 1000;
  while (history.length > 1 && history[0].at < oldest) history.shift();
  const older = windowStart(history, RATE_WINDOW_SECONDS);
  renderGateway(older, snapshot);
  for (const name of Object.keys(snapshot.providers)) renderProvider(name, older, snapshot);
  document.getElementById('updated').textContent = new Date(snapshot.at).toLocaleTimeString();
}

function renderGateway(older, latest) {
  // A tenant's view holds no gateway-wide figure: they would show what the other tenants do.
  if (latest.view === 'tenant') {
    for (const field of GATEWAY_FIELDS) operatorOnly('gateway', field);
    return;
  }
  const rates = graphqlRates(older, latest);
  setField('gateway', 'requests-per-second', rates.requestsPerSecond, perSecond);
  setField('gateway', 'errors-per-request', rates.errorsPerRequest, (v) => v.toFixed(2)); // an answer may carry several errors
  setField('gateway', 'p99', rates.p99Seconds, milliseconds);
  setField('gateway', 'rss', latest.process.rssBytes, (v) => `${(v / 2 ** 20).toFixed(0)} MiB`);
  setField('gateway', 'event-loop-lag', latest.process.eventLoopLagP99Seconds, milliseconds);
  setField('gateway', 'events-backlog', latest.events.backlog, String);
  setField('gateway', 'events-dead-letters', latest.events.deadLetters, String);
  setField('gateway', 'writes-backlog', latest.writes.backlog, String);
  setField('gateway', 'writes-dead-letters', latest.writes.deadLetters, String);
}

function renderProvider(name, older, latest) {
  const card = cards.get(name) ?? createCard(name);
  const provider = latest.providers[name];
  const rates = providerRates(older, latest, name);
  const worst = worstBreaker(provider.breakers);
  const breaker = card.root.querySelector('[data-field="breaker"]');
  breaker.dataset.state = worst;
  breaker.textContent = `Circuit ${BREAKER_TEXT[worst]}`;
  const tenants = Object.entries(provider.breakers);
  card.root.querySelector('[data-field="breaker-tenants"]').textContent = tenants.length > 1 ? tenants.map(([tenant, state]) => `${tenant}: ${BREAKER_TEXT[state]}`).join(', ') : '';
  setField(card.id, 'calls-per-second', rates.callsPerSecond, perSecond);
  setField(card.id, 'error-rate', rates.errorRate, percent);
  setField(card.id, 'p50', rates.p50Seconds, milliseconds);
  setField(card.id, 'p99', rates.p99Seconds, milliseconds);
  if (provider.cache) {
    setField(card.id, 'cache-hit-rate', rates.cacheHitRate, percent);
    setField(card.id, 'stale-answers', rates.staleAnswers, String);
  } else {
    operatorOnly(card.id, 'cache-hit-rate');
    operatorOnly(card.id, 'stale-answers');
  }
  setField(card.id, 'retries', rates.retries, String);
  setField(card.id, 'refusals', rates.refusals, String);
  if (provider.bulkhead) setField(card.id, 'bulkhead', provider.bulkhead.inFlight, (v) => `${v} in flight, ${provider.bulkhead.queued ?? 0} queued`);
  else operatorOnly(card.id, 'bulkhead');
  const quotas = Object.entries(provider.quota).map(([tenant, q]) => {
    const used = q.limit === null || q.remaining === null ? '?' : q.limit - q.remaining;
    const reset = q.resetSeconds === null ? '' : `, resets in ${q.resetSeconds.toFixed(1)} s`;
    return `${tenants.length > 1 || Object.keys(provider.quota).length > 1 ? `${tenant}: ` : ''}${used} of ${q.limit ?? '?'} used${reset}`;
  });
  setField(card.id, 'quota', quotas.length ? quotas.join('; ') : null, String);
  const t = latest.at / 1000;
  card.series[0].push(t);
  CHARTS.forEach((chart, i) => card.series[i + 1].push(rates[chart.key] === null ? null : rates[chart.key] * chart.scale));
  while (card.series[0].length > 0 && card.series[0][0] < t - HISTORY_SECONDS) for (const column of card.series) column.shift();
  CHARTS.forEach((_chart, i) => card.plots[i].setData([card.series[0], card.series[i + 1]]));
}

function createCard(name) {
  const id = `provider-${name}`;
  const root = document.getElementById('provider-card').content.firstElementChild.cloneNode(true);
  root.id = id;
  root.dataset.provider = name;
  root.setAttribute('aria-labelledby', `${id}-title`);
  const title = root.querySelector('h3');
  title.id = `${id}-title`;
  title.textContent = PROVIDER_TITLES[name] ?? name;
  document.getElementById('providers').append(root);
  const charts = root.querySelector('.charts');
  const plots = CHARTS.map((chart) => {
    const holder = document.createElement('figure');
    holder.dataset.chart = chart.key;
    const caption = document.createElement('figcaption');
    caption.textContent = `${PROVIDER_TITLES[name] ?? name}: ${chart.label}, last ${HISTORY_SECONDS / 60} min`;
    holder.append(caption);
    charts.append(holder);
    return new uPlot(
      { width: 280, height: 110, legend: { show: false }, cursor: { show: false }, scales: { x: { time: true }, ...(chart.range ? { y: { range: chart.range } } : {}) }, series: [{}, { label: chart.label, stroke: chart.key === 'errorRate' ? '#c62828' : '#1565c0', width: 1.5, spanGaps: false }], axes: [{ size: 24 }, { size: 52 }] },
      [[], []],
      holder,
    );
  });
  const card = { id, root, plots, series: [[], [], [], []] };
  cards.set(name, card);
  return card;
}

/** Writes a value as text (what a reader and a screen reader get) and raw in data-value (what a test reads). */
const GATEWAY_FIELDS = ['requests-per-second', 'errors-per-request', 'p99', 'rss', 'event-loop-lag', 'events-backlog', 'events-dead-letters', 'writes-backlog', 'writes-dead-letters'];

/** A figure the tenant view leaves out (ops-snapshot.ts says which). */
function operatorOnly(scope, field) {
  const element = document.querySelector(`#${scope} [data-field="${field}"]`);
  if (!element) return;
  element.dataset.value = '';
  element.textContent = 'operator view only';
}

function setField(scope, field, value, format) {
  const element = document.querySelector(`#${scope} [data-field="${field}"]`);
  if (!element) return;
  element.dataset.value = value === null || value === undefined ? '' : String(value);
  element.textContent = value === null || value === undefined ? '—' : format(value);
}

function perSecond(value) {
  return `${value.toFixed(1)}/s`;
}

function percent(value) {
  return `${(value * 100).toFixed(1)} %`;
}

function milliseconds(seconds) {
  return `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
}

connect();
