import { createLogger, type Logger, type LogLevel } from '../shared/logger.ts';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A real (pino) logger whose lines are kept, parsed, for a test to read back. */
export function captureLog(level: LogLevel = 'debug'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const out = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
    },
  };
  return { log: createLogger(level, {}, { out }), lines };
}
