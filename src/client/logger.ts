export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** The logger interface the clients write to. Every line has already been scrubbed of secrets. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /**
   * Every frame in and out, when `traceEnabled` is true. Frames come by the hundred thousand per second: the client
   * builds these lines only when the logger says it will keep them.
   */
  trace?(message: string): void;
  readonly traceEnabled?: boolean;
}

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** A logger to stderr that drops lines below `level`. */
export function consoleLogger(level: LogLevel = 'info', prefix = '[appsync-events]'): Logger {
  const at = (l: LogLevel) => (message: string) => {
    if (ORDER[l] <= ORDER[level]) console.error(`${prefix} ${l}: ${message}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'), traceEnabled: level === 'trace' };
}
