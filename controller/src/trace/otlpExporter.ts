/**
 * Sends batches of spans to an OTLP/HTTP endpoint in the JSON encoding: POST <endpoint>, Content-Type
 * application/json. The headers (OTEL_EXPORTER_OTLP_HEADERS) often carry an API key: they go on the request and
 * nowhere else; no log line, error message or metric holds them, nor the endpoint's query string.
 */
import { encodeTraceRequest, type TraceSource } from './otlpJson.ts';
import type { FinishedSpan } from './span.ts';

export type ExportOutcome =
  | { ok: true; rejected: number }
  | {
      ok: false;
      /** Why, for a log line: the HTTP status or the network error, never a header or the answer's body. */
      reason: string;
    };

export interface SpanExporter {
  /** Never rejects; gives up when `signal` aborts. */
  export(spans: readonly FinishedSpan[], signal: AbortSignal): Promise<ExportOutcome>;
}

/** The collector's answer is read only this far: enough for a partialSuccess, never a hostile endless body. */
const maxAnswerBytes = 64 * 1024;

export class OtlpHttpJsonExporter implements SpanExporter {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #source: TraceSource;

  constructor(options: { url: string; headers: Readonly<Record<string, string>>; source: TraceSource }) {
    this.#url = options.url;
    // The user's headers first: Content-Type is the encoding this exporter sends, whatever they say.
    this.#headers = { ...options.headers, 'content-type': 'application/json' };
    this.#source = options.source;
  }

  async export(spans: readonly FinishedSpan[], signal: AbortSignal): Promise<ExportOutcome> {
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: this.#headers,
        body: JSON.stringify(encodeTraceRequest(this.#source, spans)),
        signal,
        redirect: 'error',
      });
      const answer = await readBounded(response);
      if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
      return { ok: true, rejected: rejectedSpans(answer) };
    } catch (err) {
      if (signal.aborted) return { ok: false, reason: 'timed out' };
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { ok: false, reason: `${err instanceof Error ? err.message : String(err)}${cause}`.slice(0, 200) };
    }
  }
}

async function readBounded(response: Response): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream: the rest of an oversized answer is never read.
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxAnswerBytes) return '';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** ExportTraceServiceResponse.partialSuccess.rejectedSpans (an int64: a string, or a number from lenient servers). */
function rejectedSpans(answer: string): number {
  if (answer === '') return 0;
  try {
    const parsed = JSON.parse(answer) as { partialSuccess?: { rejectedSpans?: unknown } } | null;
    const rejected = Number(parsed?.partialSuccess?.rejectedSpans ?? 0);
    return Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0;
  } catch {
    return 0; // a 2xx is a success whatever its body says
  }
}
