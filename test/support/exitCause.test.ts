/** The cause a test failure names when the controller exits before it is ready (exitCause), from its log. */
import { describe, expect, it } from 'vitest';
import { exitCause } from './exitCause.ts';

describe('exitCause', () => {
  it('given a pino fatal line, then it names the message and the error', () => {
    const log = [
      '{"level":"info","msg":"sluice started"}',
      '{"level":"fatal","msg":"sluice could not start","err":{"message":"listen EADDRINUSE: address already in use 127.0.0.1:40123"}}',
    ].join('\n');
    expect(exitCause(log)).toBe('sluice could not start: listen EADDRINUSE: address already in use 127.0.0.1:40123');
  });

  it('given no fatal line (node died of an uncaught error), then it names the error, not the version line', () => {
    const log =
      '{"level":"info","msg":"x"}\nfile:///main.ts:1\n\nTypeError: boom\n    at main.ts:1\n\nNode.js v24.21.0\n';
    expect(exitCause(log)).toBe('TypeError: boom');
  });

  it('given neither, then it names the last line', () => {
    expect(exitCause('{"level":"info","msg":"x"}\nKilled\n')).toBe('Killed');
  });

  it('given an empty log, then it says so', () => {
    expect(exitCause('')).toBe('(the log is empty)');
  });
});
