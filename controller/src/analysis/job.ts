/**
 * The `job` metric provider: each measurement runs a Kubernetes Job from the template in the Rollout's namespace
 * and answers with the Job's own verdict (Complete: Successful; Failed: Failed, with the tail of the failed pod's
 * log). It runs in the background (analysis/measureTask.ts), never on the reconcile path; its creates and deletes
 * go through the controller's fenced client, so a replica that is not the leader writes nothing.
 *
 * A measurement taken again after a controller restart has the same id, hence the same Job name
 * (jobIdentity.ts): it adopts the Job the first attempt created instead of starting a second one. A Job of that
 * name that is not this measurement's is an Error, never adopted or deleted.
 *
 * A create whose answer is lost (the API server stored the Job, the answer never came back) is read back: a Job of
 * this measurement's found then is adopted, so that a network blip leaves no Job running that nobody deletes.
 *
 * API requests per measurement: one GET (is the Job there already), one POST, then one GET per poll (after 1 s,
 * doubling to at most 10 s: a 1-minute Job costs about 9, a 10-minute one about 63), on failure one pod LIST and
 * one log GET, and one DELETE at the end, whatever the outcome (timeout included).
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { jobLimits } from '../api/jobProvider.schema.ts';
import { formatDuration, parseDuration } from '../api/duration.ts';
import { statusCode } from '../kube/apiErrors.ts';
import { AnalysisConfigError, truncate } from './errors.ts';
import { isMeasurementJob, jobName } from './jobIdentity.ts';
import { logTail, logTailLimits } from './jobLogs.ts';
import { exitCodeOf, failedPod, jobOutcome } from './jobStatus.ts';
import { buildJob } from './jobTemplate.ts';
import type { MetricProvider, ProviderAnswer, ProviderRequest } from './provider.ts';
import { traceProviderCall } from './measureSpan.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';

/** What the provider needs of Kubernetes; kube/jobClient.ts is the real one, with writes fenced. */
export interface JobApi {
  create: (job: V1Job) => Promise<V1Job>;
  /** Undefined when there is no such Job. */
  read: (namespace: string, name: string) => Promise<V1Job | undefined>;
  /** Deletes the Job with that uid and, in the background, its pods; a Job already gone is no error. */
  delete: (namespace: string, name: string, uid: string) => Promise<void>;
  /** The pods the Job controller made for the Job with this uid. */
  pods: (namespace: string, jobUid: string) => Promise<V1Pod[]>;
  /** The last `tailLines` lines of a container's log, at most `limitBytes` of them. */
  log: (
    namespace: string,
    pod: string,
    container: string | undefined,
    limits: { tailLines: number; limitBytes: number },
  ) => Promise<string>;
}

export interface JobProviderOptions {
  /** The first wait between polls and the longest; default 1 s and 10 s. */
  pollMs?: { first: number; max: number };
  /** Told of what went wrong on the side (a delete that failed): never part of the measurement. */
  warn?: (details: Record<string, unknown>, message: string) => void;
  /** Client spans under the measurement's for the Job's create, the wait for its outcome and its delete. */
  tracer?: Tracer;
  /** The ServiceAccount the controller runs as (kube/ownServiceAccount.ts): no Job may run as it. */
  controllerServiceAccount?: { namespace: string; name: string } | undefined;
}

/** The status message's bound (measure.ts); the log tail gets what the sentence before it leaves. */
const maxMessageLength = 1024;
/** Refused reads in a row before the measurement gives up (a busy API server is waited out: isTransient). */
const maxFailedReads = 3;

const defaultTimeout = jobLimits.defaultTimeout;

/** No answer, 429 or a 5xx: the API server may answer on a later poll. */
function isTransient(err: unknown): boolean {
  const code = statusCode(err);
  return code === undefined || code === 429 || code >= 500;
}

function describeError(err: unknown): string {
  const code = statusCode(err);
  const text = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  return truncate(code === undefined ? text : `${code}: ${text}`, 300);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Whether the Job's activeDeadlineSeconds is the one buildJob derived from the timeout (not a shorter one of its own). */
function deadlineIsTimeout(job: V1Job, timeoutMs: number): boolean {
  return job.spec?.activeDeadlineSeconds === Math.max(1, Math.ceil(timeoutMs / 1000));
}

export function jobMetricProvider(api: JobApi, options: JobProviderOptions = {}): MetricProvider<'job'> {
  const poll = options.pollMs ?? { first: 1_000, max: 10_000 };
  const warn = options.warn ?? (() => undefined);
  const tracer = options.tracer ?? noopTracer;
  const jobAttributes = (namespace: string, name: string) => ({
    'k8s.namespace.name': namespace,
    'k8s.job.name': name,
  });
  const isMessage = (result: unknown) => typeof result === 'string';

  /** The measurement's Job: the one a previous attempt left, if it is ours, or a new one. */
  async function ensureJob(body: V1Job, request: ProviderRequest): Promise<V1Job | string> {
    const { namespace } = request;
    const name = body.metadata!.name!;
    const owner = { namespace, rollout: request.rollout, measurementId: request.measurementId };
    const notOurs = `Job ${namespace}/${name} exists and is not this measurement's (its labels or owner differ): Sluice neither uses nor deletes it; delete or rename it`;
    const existing = await api.read(namespace, name);
    if (existing !== undefined) return isMeasurementJob(existing, owner) ? existing : notOurs;
    try {
      return await api.create(body);
    } catch (err) {
      if (statusCode(err) === 409) {
        // Created meanwhile (the same measurement on a replica that was leading a moment ago, say): check it the same way.
        const raced = await api.read(namespace, name);
        if (raced === undefined) throw err;
        return isMeasurementJob(raced, owner) ? raced : notOurs;
      }
      // The answer may be lost after the API server stored the Job (a reset, a 5xx from a proxy, a timeout): a Job of
      // this measurement's that is there now is the one just created, and is waited for and deleted like it.
      const stored = await api.read(namespace, name).catch(() => undefined);
      if (stored !== undefined && isMeasurementJob(stored, owner)) return stored;
      throw err;
    }
  }

  /** Polls until the Job has an outcome, the signal aborts, or reads keep failing. */
  async function awaitOutcome(job: V1Job, signal: AbortSignal): Promise<V1Job | string> {
    const { namespace, name } = job.metadata as { namespace: string; name: string };
    let wait = poll.first;
    let failedReads = 0;
    let current = job;
    while (jobOutcome(current).phase === 'Running') {
      await sleep(wait, signal);
      if (signal.aborted) return 'stopped waiting for the Job at the measurement timeout';
      wait = Math.min(wait * 2, poll.max);
      try {
        const read = await api.read(namespace, name);
        if (read === undefined || read.metadata?.uid !== job.metadata?.uid)
          return `Job ${namespace}/${name} was deleted by someone else before it finished`;
        current = read;
        failedReads = 0;
      } catch (err) {
        // A busy or restarting API server (429, 5xx, no answer) is waited out until the measurement's timeout: a
        // blip must not throw away every running check. A refusal (403, 401, ...) will not go away by waiting.
        if (!isTransient(err) && ++failedReads >= maxFailedReads)
          return `reading Job ${namespace}/${name} failed ${failedReads} times in a row (${describeError(err)})`;
      }
    }
    return current;
  }

  /** "Job shop/x failed (BackoffLimitExceeded): pod x-abc container smoke exited with code 1; log tail: ...". */
  async function failureMessage(job: V1Job, reason: string, why: string | undefined): Promise<string> {
    const { namespace, name, uid } = job.metadata as { namespace: string; name: string; uid: string };
    let text = `Job ${namespace}/${name} failed (${reason}${why === undefined ? '' : `: ${why}`})`;
    let pods: V1Pod[];
    try {
      pods = await api.pods(namespace, uid);
    } catch (err) {
      return `${text}; its pods could not be listed (${describeError(err)})`;
    }
    const pod = failedPod(pods);
    if (pod === undefined) return `${text}; no pod of it failed (none started in time?)`;
    const exit = exitCodeOf(pods, pod.name, pod.container);
    text += `: pod ${pod.name}${pod.container === undefined ? '' : ` container ${pod.container}`}`;
    text += exit === undefined ? ' failed' : ` exited with code ${exit}`;
    let log: string;
    try {
      log = await api.log(namespace, pod.name, pod.container, {
        tailLines: logTailLimits.lines,
        // Generous on the wire (the server cuts from the start of the tail); cut to size from the end below.
        limitBytes: 8 * logTailLimits.bytes,
      });
    } catch (err) {
      return `${text}; its log could not be read (${describeError(err)})`;
    }
    const room = Math.min(logTailLimits.bytes, maxMessageLength - text.length - 16);
    const tail = room > 0 ? logTail(log, { lines: logTailLimits.lines, bytes: room }) : '';
    return tail === '' ? `${text}; its log is empty` : `${text}; log tail:\n${tail}`;
  }

  async function remove(job: V1Job): Promise<void> {
    const { namespace, name, uid } = job.metadata as { namespace: string; name: string; uid: string };
    try {
      await traceProviderCall(
        tracer,
        'job delete',
        jobAttributes(namespace, name),
        () => api.delete(namespace, name, uid),
        () => false,
      );
    } catch (err) {
      // The measurement's answer stands; the Job's ttlSecondsAfterFinished, or the Rollout's deletion, removes it.
      warn({ namespace, name, err }, 'deleting an analysis Job failed');
    }
  }

  return {
    key: 'job',
    timeoutMs: (spec, field) => parseDuration(spec.timeout ?? defaultTimeout, field),
    async measure(spec, request): Promise<ProviderAnswer> {
      const timeoutMs = parseDuration(spec.timeout ?? defaultTimeout, `${request.field}.timeout`);
      const owner = { namespace: request.namespace, rollout: request.rollout, measurementId: request.measurementId };
      let body: V1Job;
      try {
        body = buildJob(spec, {
          ...owner,
          field: request.field,
          trusted: request.trusted,
          timeoutMs,
          args: request.args,
          controllerServiceAccount: options.controllerServiceAccount,
        });
      } catch (err) {
        if (err instanceof AnalysisConfigError) return { kind: 'error', message: err.message };
        throw err;
      }
      const name = jobName(owner);
      let job: V1Job | string;
      try {
        job = await traceProviderCall(
          tracer,
          'job create',
          jobAttributes(request.namespace, name),
          () => ensureJob(body, request),
          isMessage,
        );
      } catch (err) {
        return { kind: 'error', message: `creating Job ${request.namespace}/${name} failed (${describeError(err)})` };
      }
      if (typeof job === 'string') return { kind: 'error', message: job };
      const created = job;
      try {
        const finished = await traceProviderCall(
          tracer,
          'job wait',
          jobAttributes(request.namespace, name),
          () => awaitOutcome(created, request.signal),
          isMessage,
        );
        if (typeof finished === 'string') return { kind: 'error', message: finished };
        const outcome = jobOutcome(finished);
        if (outcome.phase === 'Successful')
          return {
            kind: 'verdict',
            phase: 'Successful',
            value: outcome.reason,
            message: `Job ${request.namespace}/${name} completed`,
          };
        // The deadline Sluice set from the timeout is the timeout: an Error, as a late answer is for any provider.
        // A shorter activeDeadlineSeconds of the template's own is the check's own budget: a failure.
        if (outcome.phase === 'Failed' && outcome.reason === 'DeadlineExceeded' && deadlineIsTimeout(body, timeoutMs))
          return {
            kind: 'error',
            message: `Job ${request.namespace}/${name} did not finish within ${formatDuration(timeoutMs)}: raise ${request.field}.timeout or make the check faster`,
          };
        if (outcome.phase === 'Failed') {
          const message = await failureMessage(finished, outcome.reason, outcome.message);
          return { kind: 'verdict', phase: 'Failed', value: outcome.reason, message };
        }
        return { kind: 'error', message: `Job ${request.namespace}/${name} has no outcome` };
      } finally {
        // Whatever the outcome, timeout included: the next measurement runs a Job of its own.
        await remove(created);
      }
    },
  };
}
