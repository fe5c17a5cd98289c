/** Why a child process the tests started died, from its log, for the failure message. */

/**
 * What a process (the controller) that exited before it was ready last said: its fatal line if it logged one (pino JSON, `msg` and
 * `err.message`), else the last line that names an error (node's report of an uncaught one),
 * else the log's last line, so that a CI failure names the cause without the log file.
 */
export function exitCause(logText: string): string {
  const lines = logText.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines.toReversed()) {
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      if (entry.level === 'fatal' || entry.level === 60)
        return [entry.msg, entry.err?.message].filter((x) => typeof x === 'string').join(': ');
    } catch {
      // not a log line: node's own output, such as an uncaught error's stack
    }
  }
  // Node's report of an uncaught error ends with its version: the error's own line says more.
  // A plain `Error: ...` as well as `TypeError: ...`, `SomeException: ...`.
  const thrown = lines.findLast((l) => /^(?:[A-Z]\w*)?(?:Error|Exception)\b/.test(l));
  return (thrown ?? lines.at(-1) ?? '(the log is empty)').slice(0, 500);
}
