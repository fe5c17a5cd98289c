import { describe, expect, it } from 'vitest';
import { decodeWatchStream, type WatchEvent } from './kubeJsonApi.ts';

async function* chunked(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
  await Promise.resolve();
}

async function decodeAll(chunks: AsyncIterable<Uint8Array>): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const e of decodeWatchStream(chunks)) events.push(e);
  return events;
}

const added = '{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}';
const bookmark = '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}';

describe('decodeWatchStream', () => {
  it('yields one event per line, whatever the chunk boundaries', async () => {
    const whole = `${added}\n${bookmark}\n`;
    for (let cut = 0; cut <= whole.length; cut += 7) {
      const events = await decodeAll(chunked(whole.slice(0, cut), whole.slice(cut)));
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
      expect(events[1]?.object).toEqual({ metadata: { resourceVersion: '9' } });
    }
  });

  it('keeps a multi-byte character that is split between two chunks', async () => {
    const line = new TextEncoder().encode('{"type":"MODIFIED","object":{"data":{"greeting":"grüße"}}}\n');
    const at = line.indexOf(0xc3) + 1; // inside the two bytes of ü
    const [event] = await decodeAll(chunked(line.slice(0, at), line.slice(at)));
    expect(event?.object).toEqual({ data: { greeting: 'grüße' } });
  });

  it('accepts a last event without a newline and skips blank lines', async () => {
    expect((await decodeAll(chunked(`\n${added}\n\n`, bookmark))).map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
  });

  it('fails on a line that is not a watch event, so the watch restarts instead of guessing', async () => {
    await expect(decodeAll(chunked('{"type":"ADD'))).rejects.toThrow(/not JSON/);
    await expect(decodeAll(chunked('{"kind":"Status"}\n'))).rejects.toThrow(/not a watch event/);
    await expect(decodeAll(chunked('{"type":"RENAMED","object":{}}\n'))).rejects.toThrow(/not a watch event/);
  });
});
