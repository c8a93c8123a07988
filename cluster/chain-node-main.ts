/**
 * The chain node as its own process (forked by cluster/chain-node.ts): ganache on `--host:--port`
 * with its chain on disk in `--db`, so a node killed and started again on the same folder goes on
 * from the last block it wrote. Tells its parent the URL once it listens; SIGTERM closes it cleanly.
 *
 *   npx tsx cluster/chain-node-main.ts --host 127.0.0.1 --port 8545 --db /tmp/run/chain --accounts 20
 */
import { parseArgs } from 'node:util';
import { startGanache } from '../chain/devnet.ts';
import { ConfigError } from '../core/errors.ts';

const { values } = parseArgs({
  strict: true,
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' }, db: { type: 'string' }, accounts: { type: 'string', default: '20' } },
});
const port = Number(values.port);
if (!Number.isSafeInteger(port) || port < 1 || port > 65_535) throw new ConfigError('--port', values.port, 'must be a TCP port in [1, 65535]');
if (values.db === undefined) throw new ConfigError('--db', undefined, 'is required (the folder that keeps the chain)');
const node = await startGanache({ hostname: values.host, port, dbPath: values.db, totalAccounts: Number(values.accounts) });
process.send?.({ kind: 'listening', url: node.url });
const stop = (): void => {
  void node.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
// Forked by a supervisor that has gone away: stop too, so no node outlives its run.
if (process.send !== undefined) process.once('disconnect', stop);
