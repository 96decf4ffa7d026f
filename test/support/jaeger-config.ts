/** Ports of one Jaeger v2 all-in-one (in-memory storage). */
export interface JaegerPorts {
  otlpGrpc: number;
  otlpHttp: number;
  query: number;
  queryGrpc: number;
  health: number;
}

/**
 * Jaeger v2 is an OpenTelemetry Collector distribution: receivers → storage
 * exporter, with the query API/UI and storage as extensions. Everything on
 * loopback; `uiAssets` points the query service at a built jaeger-ui, which
 * the Go module build does not embed.
 */
export function jaegerConfig(p: JaegerPorts, host = '127.0.0.1', uiAssets?: string): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: error
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: ${host}:${p.health}
  jaeger_query:
    storage:
      traces: memstore${uiAssets ? `\n    ui:\n      assets_path: ${JSON.stringify(uiAssets)}` : ''}
    http:
      endpoint: ${host}:${p.query}
    grpc:
      endpoint: ${host}:${p.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${host}:${p.otlpGrpc}
      http:
        endpoint: ${host}:${p.otlpHttp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}
