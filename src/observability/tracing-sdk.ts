// The OpenTelemetry SDK of our own processes (consumer, serve, the CLI's commands): when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, a NodeTracerProvider with the OTLP/HTTP exporter behind a
// batch processor, registered globally, so the producers and consumers made afterwards trace
// (tracing.ts). The exporter reads the OTEL_EXPORTER_OTLP_* variables itself (the endpoint plus
// /v1/traces, headers, timeout). An application that embeds the library registers its own SDK
// instead and never calls this.

import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface TracingSdkOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: unset, tracing stays off and nothing is registered. */
  endpoint: string | undefined;
  /** OTEL_SERVICE_NAME (default `resume-processor`). */
  serviceName?: string | undefined;
  /** Which process this is (`consumer`, `serve`, `cli`): the `resume_processor.process` attribute. */
  process: string;
}

export interface TracingSdk {
  /** Exports the spans still buffered, then stops; safe to call more than once. */
  shutdown(): Promise<void>;
}

let running: TracingSdk | null = null;

/** Starts the SDK once per process (a second call returns the first); null when no endpoint is set. */
export function startTracing(opts: TracingSdkOptions): TracingSdk | null {
  if (!opts.endpoint) return null;
  if (running) return running;
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': opts.serviceName ?? 'resume-processor',
        'resume_processor.process': opts.process,
      }),
    ),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  let stopped: Promise<void> | undefined;
  const sdk: TracingSdk = {
    shutdown: () => {
      stopped ??= provider.shutdown();
      return stopped;
    },
  };
  running = sdk;
  return sdk;
}
