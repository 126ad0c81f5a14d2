// Starts our processes' tracing SDK (tracing-sdk.ts) when OTEL_EXPORTER_OTLP_ENDPOINT is set, and
// only then imports it: the SDK and the OTLP exporter are a large import that a process without
// traces does without.

import type { TracingSdk, TracingSdkOptions } from './tracing-sdk.js';

export async function startTracingIfSet(opts: TracingSdkOptions): Promise<TracingSdk | null> {
  if (!opts.endpoint) return null;
  const { startTracing } = await import('./tracing-sdk.js');
  return startTracing(opts);
}
