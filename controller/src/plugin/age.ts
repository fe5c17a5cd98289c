/**
 * Ages as kubectl prints them ("45s", "3m", "5h", "2d"). Its own module, free of the API's schemas, because the
 * dashboard's page bundles it too.
 */
export function age(from: string | Date | undefined, now: Date): string {
  if (from === undefined) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A time in the past or the future, relative to now: "3m ago", "in 25s". */
export function relativeTime(at: string | Date, now: Date): string {
  return new Date(at).getTime() > now.getTime() ? `in ${age(now, new Date(at))}` : `${age(at, now)} ago`;
}
