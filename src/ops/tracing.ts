import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapSetter, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { SpanAttributes, TraceSpan } from '../telemetry.ts';

/** What tests hand the gateway to keep its spans (InMemorySpanExporter): OpenTelemetry is named here only. */
export type { SpanExporter };

/** The service name spans carry when OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names none. */
const DEFAULT_SERVICE_NAME = 'tributary';
const INSTRUMENTATION_SCOPE = 'tributary';

export interface TracingOptions {
  /**
   * OTLP/HTTP traces URL (`…/v1/traces`), from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
   * OTEL_EXPORTER_OTLP_ENDPOINT (config.ts). Spans are batched (OTEL_BSP_* apply).
   */
  tracesUrl?: string;
  /** Instead of OTLP: each span handed to this exporter as it ends (tests, with InMemorySpanExporter). */
  exporter?: SpanExporter;
}

/** What an operation's span is named from: known only once Apollo has resolved the operation. */
export interface OperationSpan extends TraceSpan {
  rename(name: string): void;
}

/** Reads a header of the incoming request (`traceparent`, `tracestate`). */
export type HeaderReader = (name: string) => string | undefined;

/**
 * Traces of the gateway: an OpenTelemetry tracer provider of its own, never registered as the
 * global one (no monkey-patching, no ambient context: see TraceSpan in src/telemetry.ts for why
 * the parent chain is explicit), so that two gateways in one process keep their spans apart.
 * The sampler comes from OTEL_TRACES_SAMPLER / _ARG (default: parent-based, always on), the
 * resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, the exporter's headers and
 * timeouts from OTEL_EXPORTER_OTLP_*: the SDK reads them itself.
 */
export class GatewayTracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  /** Undefined when there is nowhere to send spans: tracing is off, and nothing is made. */
  static start(options: TracingOptions): GatewayTracing | undefined {
    if (options.exporter) return new GatewayTracing(new SimpleSpanProcessor(options.exporter));
    if (options.tracesUrl) return new GatewayTracing(new BatchSpanProcessor(new OTLPTraceExporter({ url: options.tracesUrl })));
    return undefined;
  }

  private constructor(processor: SimpleSpanProcessor | BatchSpanProcessor) {
    const detected = detectResources({ detectors: [envDetector] });
    const named = detected.attributes[ATTR_SERVICE_NAME] === undefined ? resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME }) : undefined;
    const resource = named ? defaultResource().merge(named).merge(detected) : defaultResource().merge(detected);
    this.provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
    this.tracer = this.provider.getTracer(INSTRUMENTATION_SCOPE);
  }

  /**
   * A server span for one GraphQL operation: the root of its trace, or the child of the caller's
   * span when the request carries W3C Trace Context (a bad `traceparent` is ignored).
   */
  startOperation(name: string, header: HeaderReader | undefined, attributes: SpanAttributes): OperationSpan {
    const parent = header ? PROPAGATOR.extract(ROOT_CONTEXT, header, READ_HEADER) : ROOT_CONTEXT;
    return new OtelSpan(this.tracer, this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attributes as Attributes }, parent));
  }

  /** Sends the spans still buffered and stops; spans ended later are dropped. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

const PROPAGATOR = new W3CTraceContextPropagator();
/** The header reader as OpenTelemetry's getter: the carrier is the reader itself (W3C reads two known names, never lists them). */
const READ_HEADER = {
  get: (reader: HeaderReader, key: string) => reader(key),
  keys: (): string[] => [],
};

const KINDS = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT } as const;

class OtelSpan implements OperationSpan {
  private context: Context | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {}

  child(name: string, attributes: SpanAttributes, kind: 'internal' | 'client' = 'internal'): TraceSpan {
    return new OtelSpan(this.tracer, this.tracer.startSpan(name, { kind: KINDS[kind], attributes: attributes as Attributes }, this.asParent()));
  }

  setAttributes(attributes: SpanAttributes): void {
    this.span.setAttributes(attributes as Attributes);
  }

  traceHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    PROPAGATOR.inject(this.asParent(), headers, defaultTextMapSetter);
    // W3C propagation would forward the caller's `tracestate` too: a client's vendor state has
    // no business at Stripe or HubSpot (the gateway writes none of its own). The trace goes on.
    const { traceparent } = headers;
    return traceparent === undefined ? {} : { traceparent };
  }

  rename(name: string): void {
    this.span.updateName(name);
  }

  end(attributes?: SpanAttributes, errorCode?: string): void {
    if (attributes) this.span.setAttributes(attributes as Attributes);
    if (errorCode !== undefined) {
      this.span.setAttribute('error.type', errorCode);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
    }
    this.span.end();
  }

  /** The context whose active span is this one: what OpenTelemetry takes for a parent. */
  private asParent(): Context {
    return (this.context ??= trace.setSpan(ROOT_CONTEXT, this.span));
  }
}
