import { createServer } from 'node:http';

/**
 * OTLP/HTTP trace sink for the tracing bench: accepts every export and throws
 * it away, so the "tracing on" side pays for making and exporting spans, not
 * for a collector's CPU on the same cores. Answers 200 with an empty protobuf
 * body (a zero-length ExportTraceServiceResponse is a valid message).
 * GET /stats tells how many exports and bytes arrived, so the bench can show
 * spans were really sent.
 */
let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, bytes }));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/traces') {
    res.writeHead(404).end();
    return;
  }
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    requests += 1;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }).end();
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ event: 'otlp-sink.ready' })}\n`));
