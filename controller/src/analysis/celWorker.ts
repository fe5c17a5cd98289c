/**
 * The thread that evaluates conditions for celSandbox.ts: one request at a time, answered with the same id. It
 * holds no state but the compile cache, so the sandbox can end it at any moment and start another.
 */
import { parentPort } from 'node:worker_threads';
import { evaluateHere, type CelValue } from './celProgram.ts';

export interface CelRequest {
  id: number;
  expression: string;
  result: CelValue;
}

parentPort?.on('message', (request: CelRequest) => {
  const evaluated = evaluateHere(request.expression, request.result);
  // A value that cannot be cloned (a CEL map or type) is not true or false either: send what it printed as.
  const value =
    'value' in evaluated && typeof evaluated.value !== 'boolean' ? { value: String(evaluated.value) } : evaluated;
  parentPort!.postMessage({ id: request.id, ...value });
});

// Loaded: from here on a request's time is the evaluation's own.
parentPort?.postMessage({ ready: true });
