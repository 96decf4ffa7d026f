import type { LoggerService, LogLevel } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

const LEVELS: Record<LogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Nest logger on pino: one JSON object a line, object messages merged at the
 * top level (`{"event": "message.processed", ...}`), and `trace_id`/`span_id`
 * on every line written inside a traced request or message.
 */
export class PinoLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(name: string, level: LogLevel = 'log') {
    // Synchronous writes: a line logged before an ack must survive a SIGKILL right after it.
    this.pino = pino(
      {
        name,
        level: LEVELS[level],
        base: { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin() {
          const sc = trace.getActiveSpan()?.spanContext();
          return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
        },
      },
      pino.destination({ dest: 1, sync: true }),
    );
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const rest = context ? params.slice(0, -1) : params;
    const extra = rest.length > 0 ? { details: rest.map((p) => (p instanceof Error ? p.stack : p)) } : {};
    if (message instanceof Error) this.pino[level]({ context, err: message, ...extra }, message.message);
    else if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...message, ...extra });
    else this.pino[level]({ context, ...extra }, String(message));
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}
