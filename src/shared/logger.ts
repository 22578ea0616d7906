import pino from 'pino';

/**
 * Structured logs: one JSON object per line (pino), info and below on stdout, warn and above on stderr.
 * Call sites stay `log.info('message', { fields })`; an Error in any field is serialised with its stack
 * and cause (pino itself only does that for `err`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Whether a line at this level would be written (skip building costly fields when not). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/** Where lines go; tests pass one stream to read them back. */
export interface LogDestination {
  out: pino.DestinationStream;
  err?: pino.DestinationStream;
}

function withErrors(fields: LogFields): LogFields {
  let out: LogFields | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out ??= { ...fields };
      out[k] = pino.stdSerializers.errWithCause(v);
    }
  }
  return out ?? fields;
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => (fields ? p.debug(fields, msg) : p.debug(msg)),
    info: (msg, fields) => (fields ? p.info(fields, msg) : p.info(msg)),
    warn: (msg, fields) => (fields ? p.warn(withErrors(fields), msg) : p.warn(msg)),
    error: (msg, fields) => (fields ? p.error(withErrors(fields), msg) : p.error(msg)),
    child: (fields) => wrap(p.child(fields)),
    enabled: (level) => p.isLevelEnabled(level),
  };
}

/** info and below to `out`, warn and above to `err` (dedupe: each line goes to one stream only). */
function split(out: pino.DestinationStream, err: pino.DestinationStream): pino.DestinationStream {
  return pino.multistream(
    [
      { level: 'debug', stream: out },
      { level: 'warn', stream: err },
    ],
    { dedupe: true },
  );
}

export function createLogger(level: LogLevel, base: LogFields = {}, to?: LogDestination): Logger {
  // Asynchronous writes keep the request path off the write(2) call; pino flushes them on exit.
  const destination = to
    ? to.err
      ? split(to.out, to.err)
      : to.out
    : split(pino.destination({ dest: 1, sync: false }), pino.destination({ dest: 2, sync: false }));
  const p = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    destination,
  );
  return wrap(p);
}
