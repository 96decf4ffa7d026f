import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Structured JSON logs on stdout, one object a line, from the level given down. */
export function createJsonLogger(name: string, level: LogLevel = 'log'): ConsoleLogger {
  const upTo = LEVELS.indexOf(level);
  return new ConsoleLogger(name, { json: true, logLevels: LEVELS.slice(0, upTo + 1), colors: false });
}
