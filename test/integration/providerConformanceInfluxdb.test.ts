/**
 * The provider conformance suite (analysis/conformance.test-support.ts) for InfluxDB 1.x, against the real influxd
 * the harness starts. Points are written with line protocol, each scenario is an InfluxQL query over them:
 * InfluxDB refuses NaN and infinities in line protocol, so NaN is sqrt of a negative value (InfluxDB answers null)
 * and +Inf is exp(1000) (which InfluxDB computes and then cannot write in JSON). The slow scenario is an address that
 * accepts the connection and never answers. Besides the suite: a hostile argument against the real parser, the
 * read-only rule, and basic authentication with a password from a Secret.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { providerConformance, type Scenario } from '../../controller/src/analysis/conformance.test-support.ts';
import { influxdbMetricProvider } from '../../controller/src/analysis/influxdb.ts';
import { takeMeasurement } from '../../controller/src/analysis/measure.ts';
import type { Metric } from '../../controller/src/api/types.ts';
import { connectInfluxdb, startInfluxdb } from '../fixtures/influxdb.ts';

const info = inject('influxdb');
const db = 'conformance';
let hung: Server | undefined;
let hungAddress = '';
const sockets = new Set<Socket>();
const influx = () => connectInfluxdb(info!.url);

const queries: Record<Exclude<Scenario, 'slow'>, string> = {
  pass: `SELECT last(value) FROM errors WHERE track = 'pass'`,
  fail: `SELECT last(value) FROM errors WHERE track = 'fail'`,
  empty: `SELECT last(value) FROM errors WHERE track = 'no-such-track'`,
  error: `SELECT last(value) FROM errors WHERE`,
  nan: `SELECT sqrt(value) FROM errors WHERE track = 'negative'`,
  inf: `SELECT exp(value) FROM errors WHERE track = 'huge'`,
  notANumber: `SELECT last(state) FROM status`,
};

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs InfluxDB: include "influxdb" in SLUICE_TEST_SERVICES');
  const now = Math.floor(Date.now() / 1000);
  await influx().admin(`CREATE DATABASE ${db}`);
  await influx().write(db, [
    `errors,track=pass value=1 ${now}`,
    `errors,track=fail value=500 ${now}`,
    `errors,track=negative value=-1 ${now}`,
    `errors,track=huge value=1000 ${now}`,
    `status state="ok" ${now}`,
  ]);
  hung = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => hung!.listen(0, '127.0.0.1', resolve));
  hungAddress = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (hung === undefined ? resolve() : hung.close(() => resolve())));
});

providerConformance('influxdb', {
  providers: () => ({ influxdb: influxdbMetricProvider({ userAgent: 'sluice-conformance' }) }),
  provider: (scenario) =>
    Promise.resolve(
      scenario === 'slow'
        ? { influxdb: { address: hungAddress, database: db, query: queries.pass, timeout: '1s' } }
        : { influxdb: { address: info!.url, database: db, query: queries[scenario], timeout: '5s' } },
    ),
});

async function measure(
  provider: Metric['provider'],
  args: Record<string, string> = {},
  secret?: string,
  judge: Partial<Metric> = { successCondition: 'result < 10' },
) {
  const metric: Metric = { name: 'm', ...judge, provider };
  return takeMeasurement(
    {
      metric,
      args: { values: new Map(Object.entries(args)), secrets: [] },
      namespace: 'shop',
      field: 'AnalysisTemplate shop/t metrics[m]',
      startedAt: new Date(),
      trusted: true,
    },
    {
      providers: { influxdb: influxdbMetricProvider() },
      readSecret: (_ns, name, key) => (name === 'influx' && key === 'password' ? secret : undefined),
      clock: () => new Date(),
    },
  );
}

async function databases(): Promise<string[]> {
  const answer = (await influx().query(db, 'SHOW DATABASES')) as {
    results: { series?: { values: string[][] }[] }[];
  };
  return (answer.results[0]?.series?.[0]?.values ?? []).map((row) => row[0]!);
}

describe('InfluxDB against the real influxd', () => {
  it('the nan and inf scenarios reach the rule they stand for', async () => {
    const at = (query: string) => ({ influxdb: { address: info!.url, database: db, query } });
    expect(await measure(at(queries.nan))).toMatchObject({ phase: 'Inconclusive', value: 'NaN' });
    expect(await measure(at(queries.inf))).toMatchObject({
      phase: 'Error',
      message: expect.stringContaining('computed +Inf') as unknown,
    });
  });

  it('an argument that tries to close its string and drop the database stays a string', async () => {
    const hostile = "pass' ; DROP DATABASE conformance ; SELECT last(value) FROM errors WHERE track = 'pass";
    const m = await measure(
      {
        influxdb: {
          address: info!.url,
          database: db,
          query: `SELECT last(value) FROM errors WHERE track = '{{args.track}}'`,
        },
      },
      { track: hostile },
    );
    // InfluxDB read the whole value as the track: no such track, no data; and the database is still there.
    expect(m.phase, m.message).toBe('Inconclusive');
    expect(await databases()).toContain(db);
  });

  it("InfluxDB's parser reads regexes, divisions and literals where Sluice's scanner does", async () => {
    // A quote inside a regex, a division before a string: were either read otherwise, the argument would leave its
    // string and the query would find the pass track's point (Successful) instead of nothing.
    const spec = {
      influxdb: {
        address: info!.url,
        database: db,
        query: `SELECT last(value) / 1 FROM errors WHERE track =~ /pa's"s/ OR track = '{{args.t}}'`,
      },
    };
    const m = await measure(spec, { t: `x' OR track = 'pass` });
    expect(m.phase, m.message).toBe('Inconclusive');
    // The same query finds the point when the argument names the track: it was no query that finds nothing anyway.
    expect((await measure(spec, { t: 'pass' })).phase).toBe('Successful');
  });

  it('a template that would write is refused before InfluxDB sees it', async () => {
    const m = await measure({
      influxdb: { address: info!.url, database: db, query: 'SELECT value INTO copied FROM errors' },
    });
    expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/uses INTO/) as unknown });
    const copied = await influx().query(db, 'SHOW MEASUREMENTS');
    expect(JSON.stringify(copied)).not.toContain('copied');
  });

  it('a GROUP BY time() query is a range whose empty intervals are NaN, never a pass', async () => {
    const m = await measure({
      influxdb: {
        address: info!.url,
        database: db,
        query: `SELECT mean(value) FROM errors WHERE track = 'pass' AND time > now() - 3m GROUP BY time(1m)`,
      },
    });
    expect(m.phase).toBe('Inconclusive');
    expect(m.value).toMatch(/^\[(NaN, )+1\]$|^\[(NaN, )*1, NaN\]$/);
  });

  it('compare takes each GROUP BY time() row of a track as a sample: a slower canary fails, a like one passes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const points = Array.from({ length: 30 }, (_, i) => {
      const t = now - i * 10;
      const jitter = i % 5;
      return [
        `latency,svc=slow,track=stable ms=${100 + jitter} ${t}`,
        `latency,svc=slow,track=canary ms=${200 + jitter} ${t}`,
        `latency,svc=same,track=stable ms=${100 + jitter} ${t}`,
        `latency,svc=same,track=canary ms=${100 + ((i + 2) % 5)} ${t}`,
      ];
    }).flat();
    await influx().write(db, points);
    const spec = {
      influxdb: {
        address: info!.url,
        database: db,
        query: `SELECT mean(ms) FROM latency WHERE svc = '{{args.svc}}' AND track = '{{track}}' AND time > now() - 6m GROUP BY time(10s) fill(none)`,
      },
    };
    const judge = { compare: { direction: 'increase' as const } };
    const slow = await measure(spec, { svc: 'slow' }, undefined, judge);
    expect(slow, slow.message).toMatchObject({
      phase: 'Failed',
      value: expect.stringMatching(/^High \(ratio 1\.9/) as unknown,
    });
    const same = await measure(spec, { svc: 'same' }, undefined, judge);
    expect(same, same.message).toMatchObject({ phase: 'Successful', value: expect.stringMatching(/^Pass/) as unknown });
  });

  it('authenticates with a password from a Secret, and the password is in no message', async () => {
    // A server of its own with authentication on: the shared one answers without credentials.
    const secured = await startInfluxdb({ dir: join(dirname(info!.dir), 'influxdb-auth'), adminPassword: 'admin-pw' });
    try {
      const admin = connectInfluxdb(secured.url, { username: 'admin', password: 'admin-pw' });
      await admin.admin(`CREATE DATABASE ${db}`);
      await admin.write(db, [`errors,track=pass value=1 ${Math.floor(Date.now() / 1000)}`]);
      await admin.admin(`CREATE USER reader WITH PASSWORD 's3cret-pw'`);
      await admin.admin(`GRANT READ ON ${db} TO reader`);
      const spec = {
        influxdb: {
          address: secured.url,
          database: db,
          query: queries.pass,
          authentication: {
            basicAuth: { username: 'reader', password: { secretKeyRef: { name: 'influx', key: 'password' } } },
          },
        },
      };
      expect((await measure(spec, {}, 's3cret-pw')).phase).toBe('Successful');
      const wrong = await measure(spec, {}, 'not-the-password');
      expect(wrong).toMatchObject({ phase: 'Error', message: expect.stringMatching(/HTTP 401/) as unknown });
      expect(JSON.stringify(wrong)).not.toContain('not-the-password');
      // The reader may read, and Sluice would not write with it anyway; without credentials nothing is read.
      const anonymous = await measure({ influxdb: { ...spec.influxdb, authentication: undefined } });
      expect(anonymous.phase).toBe('Error');
    } finally {
      await secured.stop();
    }
  });
});
