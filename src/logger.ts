// Owns logger creation: pino, pretty-printed on a terminal and JSON otherwise.
// Components get child loggers ({ component }) from the broker; nothing imports a singleton.
// Pretty output is formatted in this thread (pino-pretty as a stream, loaded only then) rather
// than through a pino transport, which would start a worker thread with a second V8 heap (about
// 15 MB and 150 ms of start-up) to format a terminal's worth of lines.
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Pretty output (default: when stdout is a terminal). */
  pretty?: boolean;
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (pretty && options.level !== 'silent') {
    const prettyStream = createRequire(import.meta.url)('pino-pretty') as PrettyFactory;
    return pino({ level: options.level }, prettyStream({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  return pino({ level: options.level });
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
