import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { HttpConfig } from '../config.ts';

/** How often Node's HTTP server looks for expired requests, whatever the timeouts. */
const CHECK_INTERVAL = {
  min: 10, // 10 ms: for tests' tiny timeouts; the check walks active connections only
  max: 1000, // 1 s: a closed slowloris socket is late by at most this much
};

/**
 * Timeouts for the Fastify constructor. Node enforces `headersTimeout` and `requestTimeout` only
 * when its connections check runs (every 30 s by default), so a half-sent request could outlive
 * its timeout by that much; the check runs here at a quarter of the shorter timeout, at most every
 * second. Fastify's own default `requestTimeout` is 0 (none), which let 2,000 slowloris sockets
 * stay open. A socket that connects and sends nothing counts as a request whose headers never
 * came, so `headersTimeout` closes it too.
 */
export function httpServerOptions(http: HttpConfig): Pick<FastifyServerOptions, 'requestTimeout' | 'keepAliveTimeout'> & { http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } } {
  const interval = Math.min(CHECK_INTERVAL.max, Math.max(CHECK_INTERVAL.min, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 4)));
  return {
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: { headersTimeout: http.headersTimeoutMs, requestTimeout: http.requestTimeoutMs, connectionsCheckingInterval: interval },
  };
}

/**
 * Headers every answer gets, and CORS when CORS_ORIGINS lists origins. Answers carry customer
 * data, so nothing may store them (RFC 9111 §5.2.2.5) and a browser must not sniff or frame them.
 * The JSON answers also get a CSP that allows nothing; HTML (the landing page) gets
 * `landingPagePolicy`, by default only `frame-ancestors`, which leaves Apollo's embedded sandbox
 * free to load its scripts from Apollo's CDN.
 * CORS preflights are answered in @fastify/cors's onRequest hook, before Apollo: its CSRF
 * prevention still refuses simple requests (a `text/plain` POST), since preflighted ones are the
 * only cross-origin requests it lets through.
 */
export async function registerHttpHygiene(fastify: FastifyInstance, http: HttpConfig, landingPagePolicy = "frame-ancestors 'none'"): Promise<void> {
  const htmlHeaders = { ...COMMON_HEADERS, 'content-security-policy': landingPagePolicy };
  // A callback hook with the headers made once: it runs for every answer, and needs no await.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    void reply.headers(String(type ?? '').startsWith('text/html') ? htmlHeaders : JSON_HEADERS);
    done(null, payload);
  });
  if (http.cors.origins.length === 0) return;
  await fastify.register(fastifyCors, {
    origin: http.cors.origins.includes('*') ? '*' : [...http.cors.origins],
    credentials: http.cors.credentials,
    methods: ['GET', 'POST'],
    maxAge: 600, // 10 min: browsers cap it lower anyway (Chromium at 2 h)
  });
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
const JSON_HEADERS = { ...COMMON_HEADERS, 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" };
