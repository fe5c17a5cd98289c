/**
 * `npm run cluster -- up|down|status`: the local control plane for tests, the demo and development.
 * `up` is idempotent and prints the kubeconfig path (also written to .sluice/kubeconfig); `down` leaves no process.
 */
import { aliveComponents, down, up } from './controlPlane.ts';

const usage = 'usage: npm run cluster -- up [--nodes N] | down | status';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up': {
      const nodesFlag = rest.indexOf('--nodes');
      const nodes = nodesFlag >= 0 ? Number(rest[nodesFlag + 1]) : undefined;
      if (nodes !== undefined && !(Number.isInteger(nodes) && nodes > 0)) {
        console.error(`--nodes must be a positive integer, got ${rest[nodesFlag + 1]}`);
        return 2;
      }
      const started = Date.now();
      const cp = await up(nodes === undefined ? {} : { nodes });
      console.error(
        `control plane ready at ${cp.server} in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${cp.logDir}`,
      );
      console.error(`use it with: export KUBECONFIG=${cp.kubeconfig}`);
      console.log(cp.kubeconfig);
      return 0;
    }
    case 'down':
      await down();
      console.error('control plane stopped');
      return 0;
    case 'status': {
      const alive = aliveComponents();
      console.log(alive.length === 0 ? 'stopped' : `running: ${alive.join(', ')}`);
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
