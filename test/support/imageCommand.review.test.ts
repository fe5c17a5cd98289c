import { describe, expect, it } from 'vitest';
import { splitNodeCommand } from './imageCommand.ts';

describe('splitNodeCommand on the node options an image commonly carries', () => {
  // review: the script is taken to be the first word that does not start with "-", so a node option whose value is
  // the next word (`--require ./tracing.js`, `-r`, `--import`...) makes its value "the
  // script": the tests that run the image's payload and `npm run bench` would then start node on the wrong file
  // (or on a module id), and measure or test something that is not what the image runs. One preloaded tracer in the
  // Dockerfile's CMD is enough.
  it('takes the value of an option given as the next word for that value, not for the script', () => {
    expect(splitNodeCommand(['node', '--require', './tracing.js', '--optimize-for-size', 'dist/main.js'])).toEqual({
      nodeFlags: ['--require', './tracing.js', '--optimize-for-size'],
      script: 'dist/main.js',
    });
    expect(splitNodeCommand(['node', '-r', 'dotenv/config', 'dist/main.js']).script).toBe('dist/main.js');
    expect(splitNodeCommand(['node', '--import', './otel.mjs', 'dist/main.js']).script).toBe('dist/main.js');
  });
});
