/** What every benchmark scenario is given: the cluster, the controller's flags, a work folder and a progress line. */
import type { ControllerFlags } from './controller.ts';
import type { Kube } from './kube.ts';

export interface BenchContext {
  kube: Kube;
  /** The control plane's folder (pid files of its processes, for their CPU time). */
  clusterDir: string;
  flags: ControllerFlags;
  /** The controller's entry point: controller/src/main.ts of the work tree, or of an exported commit. */
  controllerEntry: string;
  /** Logs and Prometheus data of this run (under .sluice/bench/, git-ignored). */
  workDir: string;
  /** Parallel creates and patches the benchmark itself sends. */
  clientConcurrency: number;
  /** A random suffix for this run's namespaces and nodes. */
  runId: string;
  progress(message: string): void;
}
