import { describe, expect, it } from 'vitest';
import { interpretInfluxAnswer } from './influxdbAnswer.ts';
import { defaultSampleLimits } from './prometheusAnswer.ts';

const addr = 'http://influx.test:8086';
const read = (body: unknown, status = 200, limits = defaultSampleLimits) =>
  interpretInfluxAnswer(addr, status, typeof body === 'string' ? body : JSON.stringify(body), limits);
const answer = (series: unknown[] | undefined) => ({
  results: [{ statement_id: 0, ...(series === undefined ? {} : { series }) }],
});

describe('interpretInfluxAnswer', () => {
  it('reads one series of one row as a scalar: the first column after time', () => {
    expect(read(answer([{ name: 'errors', columns: ['time', 'mean'], values: [[1700000000000, 0.02]] }]))).toEqual({
      kind: 'scalar',
      values: [0.02],
    });
    // time need not come first: the value is the first column that is not time.
    expect(read(answer([{ name: 'e', columns: ['last', 'time', 'x'], values: [[3, 1, 9]] }]))).toEqual({
      kind: 'scalar',
      values: [3],
    });
  });

  it('reads several series of one row each (GROUP BY a tag) as a vector', () => {
    const series = ['a', 'b'].map((pod, i) => ({
      name: 'errors',
      tags: { pod },
      columns: ['time', 'mean'],
      values: [[0, i + 0.5]],
    }));
    expect(read(answer(series))).toEqual({ kind: 'vector', values: [0.5, 1.5] });
  });

  it('reads series of several rows (GROUP BY time) as a range, one list per series', () => {
    const series = [
      {
        name: 'lat',
        columns: ['time', 'p99'],
        values: [
          [1, 10],
          [2, 12],
          [3, null],
        ],
      },
      { name: 'lat', columns: ['time', 'p99'], values: [[1, 11]] },
    ];
    expect(read(answer(series))).toEqual({ kind: 'matrix', series: [[10, 12, NaN], [11]] });
  });

  it('reads null as NaN (never a pass), and no series or no rows as empty', () => {
    expect(read(answer([{ name: 'e', columns: ['time', 'value', 'other'], values: [[1, null, 1]] }]))).toEqual({
      kind: 'scalar',
      values: [NaN],
    });
    expect(read(answer(undefined))).toEqual({ kind: 'empty' });
    expect(read(answer([]))).toEqual({ kind: 'empty' });
    expect(read(answer([{ name: 'e', columns: ['time', 'v'], values: [] }]))).toEqual({ kind: 'empty' });
  });

  it('reads the encoding error InfluxDB answers for an infinity it computed as an Error naming it', () => {
    const text =
      'json: error calling MarshalJSON for type httpd.Response: json: error calling MarshalJSON for type *query.Result: json: unsupported value: +Inf\n';
    expect(read(text)).toEqual({
      kind: 'error',
      message: `InfluxDB at ${addr} computed +Inf, which it cannot send in JSON; such a value is never a pass: guard the query against it (ln of 0, exp of a large value)`,
    });
    expect(read('json: unsupported value: +Inf; and more words')).toMatchObject({
      message: expect.stringContaining('something other than the InfluxDB query API') as unknown,
    });
  });

  it('refuses a string or boolean where the value is, naming the column and series but not the value', () => {
    const text = read(answer([{ name: 'status', columns: ['time', 'state'], values: [[1, 'secret-ish']] }]));
    expect(text).toEqual({
      kind: 'error',
      message: `InfluxDB at ${addr} answered a string in column state of series status, not a number: SELECT a numeric field (or an aggregate such as mean or count)`,
    });
    expect(read(answer([{ name: 'up', columns: ['time', 'ok'], values: [[1, true]] }]))).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('a boolean in column ok') as unknown,
    });
    expect(read(answer([{ name: 'x', columns: ['time'], values: [[1]] }]))).toMatchObject({
      message: expect.stringContaining('no column besides time') as unknown,
    });
  });

  it("keeps InfluxDB's own error about the query, cut and stripped, from a result or a 400", () => {
    expect(read({ results: [{ statement_id: 0, error: 'field must contain at least one variable' }] })).toEqual({
      kind: 'error',
      message: `InfluxDB at ${addr} refused the query: field must contain at least one variable`,
    });
    const parse = read({ error: `error parsing query: found SELEC\u001b[31m\n${'x'.repeat(400)}` }, 400);
    expect(parse.kind).toBe('error');
    const message = (parse as { message: string }).message;
    expect(message).toMatch(/^InfluxDB at \S+ refused the query: error parsing query: found SELEC \[31m x+…$/);
    expect(message.length).toBeLessThan(260);
  });

  it('never quotes any other text of an answer (its address is the template author’s to choose)', () => {
    expect(read('{"AccessKeyId":"AKIA-secret"}')).toEqual({
      kind: 'error',
      message: `InfluxDB at ${addr} answered HTTP 200 OK with something other than the InfluxDB query API: check provider.influxdb.address`,
    });
    expect(read('upstream secret-db.internal:5432 refused', 502)).toEqual({
      kind: 'error',
      message: `InfluxDB at ${addr} answered HTTP 502 Bad Gateway`,
    });
    expect(read({ error: 'authorization failed' }, 401)).toEqual({
      kind: 'error',
      message: `InfluxDB at ${addr} answered HTTP 401 Unauthorized: check provider.influxdb.authentication (and that the user may read the database)`,
    });
    expect(read('', 302)).toMatchObject({ message: expect.stringContaining('follows no redirects') as unknown });
    expect(read({ results: [{}, {}] })).toMatchObject({ message: expect.stringContaining('2 results') as unknown });
  });

  it('refuses an answer InfluxDB cut short at its row limit (partial) rather than judge what is left', () => {
    const series = [{ name: 'e', columns: ['time', 'v'], values: [[1, 1]], partial: true }];
    expect(read(answer(series))).toMatchObject({ message: expect.stringContaining('cut its answer short') as unknown });
    expect(
      read({ results: [{ series: [{ name: 'e', columns: ['time', 'v'], values: [[1, 1]] }], partial: true }] }),
    ).toMatchObject({ kind: 'error' });
  });

  it('refuses an answer with more rows than Sluice reads, before reading them', () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [i, i]);
    const limits = { perSeries: 5, total: 8 };
    expect(read(answer([{ name: 'e', columns: ['time', 'v'], values: rows(6) }]), 200, limits)).toMatchObject({
      message: expect.stringContaining('6 rows in one series, more than the 5') as unknown,
    });
    const two = [1, 2].map(() => ({ name: 'e', columns: ['time', 'v'], values: rows(5) }));
    expect(read(answer(two), 200, limits)).toMatchObject({
      message: expect.stringContaining('10 rows, more than the 8') as unknown,
    });
  });
});
