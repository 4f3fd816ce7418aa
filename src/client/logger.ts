export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The logger interface the clients write to. Every line has already been scrubbed of secrets. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** A logger to stderr that drops lines below `level`. */
export function consoleLogger(level: LogLevel = 'info', prefix = '[appsync-events]'): Logger {
  const at = (l: LogLevel) => (message: string) => {
    if (ORDER[l] <= ORDER[level]) console.error(`${prefix} ${l}: ${message}`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
