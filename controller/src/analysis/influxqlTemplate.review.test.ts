/**
 * Hostile review of the InfluxDB provider's read-only check and argument escaping (issue 17). Every query below was
 * sent to a real influxd 1.6 (Debian's package, the one the tests start) before it was written down here: each one
 * that Sluice lets through wrote to, or dropped, another database.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisConfigError } from './errors.ts';
import { readOnlyProblem, renderInfluxql } from './influxqlTemplate.ts';

const field = 'AnalysisTemplate shop/x metrics[m].provider.influxdb.query';

describe('InfluxQL read-only check (review)', () => {
  // review: the scanner reads `1.5INTO` as one number with a duration unit (`[0-9]*\.?[0-9]+[A-Za-z]+`), but
  // InfluxDB's scanner ends a number at its fraction: a decimal takes no unit, so `1.5INTO` is the number 1.5 and the
  // keyword INTO. A namespaced template's author writes into any database the borrowed credentials reach (real
  // influxd answered {"written":2} and victim.autogen.stolen existed afterwards).
  it.each([
    'SELECT v + 1.5INTO victim.autogen.stolen FROM m',
    'SELECT v + .5INTO victim.autogen.stolen FROM m',
    'SELECT v * 1.0into "victim"."autogen"."stolen" FROM m',
  ])('refuses INTO glued to a decimal number: %s', (q) => {
    expect(readOnlyProblem(q, field)).toMatch(/INTO/);
  });

  // review: InfluxDB reads `1.` followed by anything but a digit as the number 1 and drops the full stop; Sluice
  // reads the number 1 and a `.`, after which it expects a regex (db.rp./re/). So in `1./ 2 INTO ... WHERE v / 1` the
  // INTO sits in what Sluice takes for a regex and InfluxDB runs it (real influxd wrote victim.autogen.dotted).
  it('refuses INTO hidden behind a number ending in a full stop', () => {
    const q = 'SELECT v + 1./ 2 INTO victim.autogen.dotted FROM m WHERE v / 1 > 0';
    expect(readOnlyProblem(q, field)).toMatch(/INTO/);
  });

  // review: words are matched on a 256-character slice (numbers on a 64-character one), so a long identifier is
  // split in two for Sluice but read whole by InfluxDB. An identifier ending in `by` then makes Sluice read the next
  // `/` as the start of a regex (after BY) while InfluxDB reads a division: the INTO between that `/` and the next one
  // is hidden in Sluice's "regex" and runs in InfluxDB (real influxd wrote victim.autogen.stolen5).
  it('refuses INTO hidden behind a long identifier ending in "by" (Sluice splits it, InfluxDB does not)', () => {
    const ident = `${'a'.repeat(256)}by`;
    const q = `SELECT v + ${ident} / 2 INTO victim.autogen.stolen FROM m WHERE v / 1 > 0`;
    expect(readOnlyProblem(q, field)).toMatch(/INTO/);
  });
});

describe('InfluxQL argument escaping (review)', () => {
  // review: the same decimal misreading moves where Sluice thinks a regex is. In `1.0FROM /^m'{{args.a}}'/` InfluxDB
  // reads FROM and then a regex, so the argument sits in a regex (where a `/` ends it); Sluice reads the number
  // `1.0FROM`, a division and a '...' string, so it lets the argument in, escaped only for a string. The argument
  // `x/ ; DROP DATABASE victim -- ` then leaves the regex: real influxd ran DROP DATABASE victim. Whoever supplies
  // arguments (a Rollout's author, for a ClusterAnalysisTemplate run with the platform team's credentials) can run
  // any statement.
  it('refuses a placeholder that InfluxDB reads inside a regex after a decimal glued to FROM', () => {
    let thrown: unknown;
    try {
      renderInfluxql(
        "SELECT v * 1.0FROM /^m'{{args.a}}'/",
        { args: new Map([['a', 'x/ ; DROP DATABASE victim -- ']]), vars: {} },
        field,
      );
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AnalysisConfigError);
  });
});
