import { describe, expect, it } from 'vitest';
import { parseProcStatus, rssOf, sampleRss } from './procStats.ts';

const status = [
  'Name:\tnode',
  'VmPeak:\t 1234567 kB',
  'VmSize:\t 1200000 kB',
  'VmHWM:\t  356000 kB',
  'VmRSS:\t  120000 kB',
  'RssAnon:\t   90000 kB',
].join('\n');

describe('memory from /proc/<pid>/status', () => {
  it('reads VmRSS and VmHWM, not the lines that share a prefix (VmPeak, RssAnon)', () => {
    expect(parseProcStatus(status)).toEqual({ rssBytes: 120000 * 1024, hwmBytes: 356000 * 1024 });
  });

  it('leaves out what a kernel thread or a zombie does not report', () => {
    expect(parseProcStatus('Name:\tkthreadd\nState:\tS (sleeping)\n')).toEqual({
      rssBytes: undefined,
      hwmBytes: undefined,
    });
  });

  it('reads this very process, and 0 for a pid that does not exist', () => {
    expect(rssOf(process.pid)).toBeGreaterThan(10 * 1024 * 1024);
    expect(rssOf(2 ** 30)).toBe(0);
  });

  it('samples on each tick after the first, so memory grown after the start is seen', async () => {
    const before = rssOf(process.pid);
    const sampler = sampleRss(process.pid, 10);
    const grown = Buffer.alloc(200 * 1024 * 1024, 1);
    await new Promise((r) => setTimeout(r, 100));
    sampler.stop();
    expect(grown[grown.length - 1]).toBe(1);
    expect(sampler.max()).toBeGreaterThan(before + 150 * 1024 * 1024);
  });
});
