/** Review of exitCause: node's own report of an uncaught plain Error. */
import { describe, expect, it } from 'vitest';
import { exitCause } from './exitCause.ts';

describe('exitCause, review', () => {
  // review: exitCause's pattern /^[A-Z]\w*(Error|Exception)\b/ needs a letter before "Error", so node's report of an
  // uncaught plain `Error` (the commonest: `throw new Error(...)`, an unhandled 'error' event such as a listen
  // EADDRINUSE) is not found and the cause reads "Node.js v24.x": the start fails naming node's version, and an
  // EADDRINUSE that died this way is not recognised as a port race, so it is not retried.
  it('given node reporting an uncaught plain Error, then it names that error, not the version line', () => {
    const log = [
      '{"level":"info","msg":"sluice started"}',
      'node:events:497',
      "      throw er; // Unhandled 'error' event",
      '      ^',
      '',
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:40123',
      '    at Server.setupListenHandle [as _listen2] (node:net:1908:16)',
      "Emitted 'error' event on Server instance at:",
      '    at emitErrorNT (node:net:1887:8) {',
      "  code: 'EADDRINUSE',",
      '}',
      '',
      'Node.js v24.21.0',
      '',
    ].join('\n');
    expect(exitCause(log)).toBe('Error: listen EADDRINUSE: address already in use 127.0.0.1:40123');
  });
});
