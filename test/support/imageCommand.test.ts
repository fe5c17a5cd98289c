import { describe, expect, it } from 'vitest';
import { splitNodeCommand } from './imageCommand.ts';

describe('splitNodeCommand', () => {
  it('separates the node options from the script they run', () => {
    expect(splitNodeCommand(['node', '--max-semi-space-size=2', '--optimize-for-size', 'dist/main.js'])).toEqual({
      nodeFlags: ['--max-semi-space-size=2', '--optimize-for-size'],
      script: 'dist/main.js',
    });
    expect(splitNodeCommand(['node', 'dist/main.js'])).toEqual({ nodeFlags: [], script: 'dist/main.js' });
  });

  it('refuses a command that is not node or has no script', () => {
    expect(() => splitNodeCommand(['sh', '-c', 'x'])).toThrow(/starts with sh/);
    expect(() => splitNodeCommand(['node', '--expose-gc'])).toThrow(/names no script/);
  });
});
