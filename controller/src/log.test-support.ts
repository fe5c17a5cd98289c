/** The controller's logger (createLogger), with its lines parsed into `lines` instead of written to stdout. */
import { createLogger, type LogLevel } from './log.ts';

export function captureLog(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}
