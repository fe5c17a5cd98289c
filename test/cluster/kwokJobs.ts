/**
 * What kwok needs beyond its "fast" stages (built into the cache with the binaries, see test/setup/build-cluster.sh)
 * so that Jobs can be tested for real: the fast pod-complete stage ends every Job pod with exit code 0, so a pod
 * labelled `sluice.dev/test-exit: "1"` fails instead (exit code 1), and one labelled "0" succeeds after the delay in
 * its `sluice.dev/test-delay` annotation (a Job that is still running while a test kills the controller). Weight 1
 * makes kwok pick these over the fast stage, which has none. A pod that must never finish is given a nodeSelector
 * that no node matches, and stays Pending.
 * And logs: kwok serves every pod's container log from one file (ClusterLogs), through its kubelet endpoint, so that
 * `kubectl logs` and the API server's pods/log work as on a real node; the file holds what a failing smoke test prints.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pod label that steers a Job pod's exit code in the local cluster. */
export const testExitLabel = 'sluice.dev/test-exit';
/** The pod annotation with how long a successful pod runs first ("5s"). */
export const testDelayAnnotation = 'sluice.dev/test-delay';

/** What every pod's container log says in the local cluster (kwok serves it; CRI log format). */
export const testPodLog = [
  'smoke test: GET http://checkout-canary/healthz',
  'Authorization: Bearer not-a-real-token-but-masked',
  '\u001b[31mFAIL\u001b[0m: expected 200, got 500',
];

const terminated = (exitCode: number, reason: string) => `
      {{ $now := Now }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: ${exitCode}
            finishedAt: {{ $now | Quote }}
            reason: ${reason}
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: ${exitCode === 0 ? 'Succeeded' : 'Failed'}`;

function exitStage(name: string, exit: '0' | '1', delayed: boolean): string {
  return `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values: ['Job']
    - key: '.metadata.labels["${testExitLabel}"]'
      operator: 'In'
      values: ['${exit}']
  weight: 1
${
  delayed
    ? `  delay:
    durationMilliseconds: 500
    durationFrom:
      expressionFrom: '.metadata.annotations["${testDelayAnnotation}"]'
`
    : ''
}  next:
    statusTemplate: |${terminated(Number(exit), exit === '0' ? 'Completed' : 'Error')}
`;
}

/** Writes kwok's extra configuration (and the log file it serves) into `dir`; returns the configuration's path. */
export function writeKwokJobConfig(dir: string): string {
  const logFile = join(dir, 'kwok-pod.log');
  const at = '2026-01-01T00:00:00.000000000Z';
  writeFileSync(logFile, testPodLog.map((line) => `${at} stdout F ${line}\n`).join(''));
  const config = `${exitStage('sluice-test-pod-fail', '1', false)}${exitStage('sluice-test-pod-succeed', '0', true)}---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: sluice-test-logs
spec:
  logs:
  - logsFile: ${JSON.stringify(logFile)}
    follow: false
`;
  const file = join(dir, 'kwok-jobs.yaml');
  writeFileSync(file, config);
  return file;
}
