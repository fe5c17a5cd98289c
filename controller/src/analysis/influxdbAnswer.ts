/**
 * Reading an answer of InfluxDB 1.x's /query into numbers. Pure, so that every shape InfluxDB (or a proxy in front of
 * it) can send is tested without a server.
 *
 * The answer is {results: [{series: [{name, tags?, columns, values: [[time, v1, ...], ...]}], error?}], error?}.
 * Sluice sends one statement, so it reads results[0]. Each row's value is its first column that is not `time` (the
 * SELECTed expression: `SELECT mean(errors) ...` gives [time, mean]); Argo Rollouts hands the raw rows to its
 * conditions, and Sluice's conditions compare numbers. The shape follows Prometheus's:
 * - one series of one row is a scalar (`result` is a number);
 * - several series of one row each (GROUP BY a tag) are a vector (`result` is a list, one value per series);
 * - a series of several rows (GROUP BY time) is a range (`result` is the list of its values, or a list per series),
 *   which `compare` takes as the samples of a track.
 * null (an empty GROUP BY time interval, a field a point lacks) is NaN, which is never a pass: write fill(none) or
 * fill(0) to leave such intervals out or count them as zero. An infinity InfluxDB computed (exp, ln) comes as an
 * encoding error it writes instead of JSON, which is an Error: InfluxDB cannot say where it was. A string or boolean where the value is expected is an
 * Error naming it. InfluxDB's own `error` (a query it cannot parse or run, about the author's own query) keeps its
 * words, cut and stripped; no other part of an answer's text reaches status, since its address is the author's.
 */
import { STATUS_CODES } from 'node:http';
import { statusWords } from './errors.ts';
import type { PromResult, SampleLimits } from './prometheusAnswer.ts';

interface Series {
  name?: unknown;
  columns?: unknown;
  values?: unknown;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads an answer of InfluxDB's /query (HTTP status and body text). Never throws. `scrub` replaces Secret values in
 * InfluxDB's words before they are cut and stripped: after, a secret with a non-ASCII character, a tab or two spaces,
 * or one the cut falls in, no longer matches what the engine scrubs, and most of it would reach status.
 */
export function interpretInfluxAnswer(
  address: string,
  status: number,
  text: string,
  limits: SampleLimits,
  scrub: (text: string) => string = (t) => t,
): PromResult {
  const where = `InfluxDB at ${address}`;
  const clean = (words: string, max: number) => statusWords(scrub(words), max);
  let body: Record<string, unknown> | undefined;
  try {
    body = record(JSON.parse(text));
  } catch {
    body = undefined;
  }
  const refused = (detail: unknown): PromResult => ({
    kind: 'error',
    message: `${where} refused the query${typeof detail === 'string' ? `: ${clean(detail, 200)}` : ''}`,
  });
  // InfluxDB answers a query it cannot parse with HTTP 400 and {"error": "..."}; that error is about the query.
  if (body !== undefined && typeof body.error === 'string' && (status === 400 || (status >= 200 && status < 300)))
    return refused(body.error);
  // InfluxDB 1.x computes infinities (exp(1000), ln(0)) but cannot write them in JSON: it answers 200 with Go's
  // encoding error instead. Only the value's name is taken from that text.
  const unencodable = body === undefined ? /^json: .*unsupported value: ([+-]Inf|NaN)\s*$/s.exec(text)?.[1] : undefined;
  if (status === 200 && unencodable !== undefined)
    return {
      kind: 'error',
      message: `${where} computed ${unencodable}, which it cannot send in JSON; such a value is never a pass: guard the query against it (ln of 0, exp of a large value)`,
    };
  if (status < 200 || status >= 300 || body === undefined || !Array.isArray(body.results)) {
    const statusLine = `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
    const hint =
      status === 401 || status === 403
        ? ': check provider.influxdb.authentication (and that the user may read the database)'
        : status >= 300 && status < 400
          ? ': Sluice follows no redirects, so point provider.influxdb.address at where it leads'
          : status >= 200 && status < 300
            ? ' with something other than the InfluxDB query API: check provider.influxdb.address'
            : '';
    return { kind: 'error', message: `${where} answered ${statusLine}${hint}` };
  }
  if (body.results.length !== 1) {
    return { kind: 'error', message: `${where} answered ${body.results.length} results to one statement` };
  }
  const result = record(body.results[0]);
  if (result === undefined) return { kind: 'error', message: `${where} answered a result Sluice cannot read` };
  if (result.error !== undefined) return refused(result.error);
  // InfluxDB cuts an answer at its max-row-limit and marks it partial: judging what is left could pass a canary on
  // the rows that happened to fit.
  if (
    result.partial === true ||
    (Array.isArray(result.series) && result.series.some((x) => record(x)?.partial === true))
  )
    return {
      kind: 'error',
      message: `${where} cut its answer short (partial, at its max-row-limit): narrow the query (aggregate, a shorter time range)`,
    };
  if (result.series === undefined) return { kind: 'empty' };
  if (!Array.isArray(result.series)) return { kind: 'error', message: `${where} answered series that are not a list` };
  return readSeries(where, result.series as unknown[], limits, clean);
}

type Clean = (words: string, max: number) => string;

function readSeries(where: string, series: unknown[], limits: SampleLimits, clean: Clean): PromResult {
  let total = 0;
  for (const s of series) {
    const rows = record(s)?.values;
    const n = Array.isArray(rows) ? rows.length : 0;
    if (n > limits.perSeries)
      return {
        kind: 'error',
        message: `${where} answered with ${n} rows in one series, more than the ${limits.perSeries} Sluice reads per series: use a longer GROUP BY time() interval or a shorter time range`,
      };
    total += n;
  }
  if (total > limits.total)
    return {
      kind: 'error',
      message: `${where} answered with ${total} rows, more than the ${limits.total} Sluice reads in one answer: aggregate the query (fewer GROUP BY tags, a longer GROUP BY time() interval)`,
    };
  const lists: number[][] = [];
  for (const [i, s] of series.entries()) {
    const read = readOne(where, record(s) ?? {}, i, clean);
    if (typeof read === 'string') return { kind: 'error', message: read };
    if (read.length > 0) lists.push(read);
  }
  if (lists.length === 0) return { kind: 'empty' };
  if (lists.every((l) => l.length === 1)) {
    const values = lists.map((l) => l[0]!);
    return { kind: values.length === 1 ? 'scalar' : 'vector', values };
  }
  return { kind: 'matrix', series: lists };
}

/** The values of one series, or why they cannot be read (naming the series and column, never a value). */
function readOne(where: string, series: Series, index: number, clean: Clean): number[] | string {
  const name = typeof series.name === 'string' ? clean(series.name, 64) : `#${index}`;
  if (!Array.isArray(series.columns) || !Array.isArray(series.values))
    return `${where} answered series ${name} without columns and values`;
  const column = series.columns.findIndex((c) => c !== 'time');
  if (column < 0) return `${where} answered series ${name} with no column besides time: SELECT a number`;
  const columnName = typeof series.columns[column] === 'string' ? clean(series.columns[column], 64) : '?';
  const values: number[] = [];
  for (const row of series.values as unknown[]) {
    if (!Array.isArray(row)) return `${where} answered series ${name} with a row that is not a list`;
    const v: unknown = row[column];
    if (typeof v === 'number') values.push(v);
    else if (v === null || v === undefined) values.push(NaN);
    else
      return `${where} answered a ${typeof v} in column ${columnName} of series ${name}, not a number: SELECT a numeric field (or an aggregate such as mean or count)`;
  }
  return values;
}
