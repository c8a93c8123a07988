/**
 * `npm run worker -- --queue redis://host:6379`: serves the sweeps submitted with
 * `npm run experiment <id> -- --queue redis://host:6379`, on as many hosts as you like. Each host
 * must be on the submitter's commit (tasks from other code are refused). Ctrl-C stops taking tasks
 * and lets running ones finish; a second Ctrl-C quits at once (those tasks go to other workers).
 *
 *   npm run worker -- --queue redis://10.0.0.5:6379 --jobs 8
 */
import { availableParallelism } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, SparseLocoError } from '../../core/errors.ts';
import { parseRedisUrl } from './redis-url.ts';
import { startQueueWorker } from './worker.ts';

export async function main(argv: string[]): Promise<void> {
  const args = await yargs(argv)
    .scriptName('npm run worker --')
    .usage('$0 --queue redis://host:6379 [options]')
    .option('queue', { type: 'string', demandOption: true, describe: 'Redis URL the sweeps are submitted to' })
    .option('jobs', { type: 'number', default: availableParallelism(), describe: 'tasks run at once (worker threads)' })
    .option('lock-ms', { type: 'number', default: 30_000, describe: 'job lock (ms): how soon a dead worker\'s task moves on' })
    .option('stalled-ms', { type: 'number', default: 30_000, describe: 'how often to check for stalled tasks (ms)' })
    .strict()
    .fail((msg, err) => {
      throw err ?? new ConfigError('command line', argv.join(' '), msg);
    })
    .help()
    .parse();
  const location = parseRedisUrl(args.queue);
  const worker = await startQueueWorker({
    location,
    jobs: args.jobs,
    lockMs: args['lock-ms'],
    stalledMs: args['stalled-ms'],
    log: (line) => console.error(line),
  });
  console.error(`worker ${worker.name} (code ${worker.codeVersion}) on ${location.display}: ${args.jobs} slot(s); waiting for sweeps`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error('stopping: running tasks finish first (Ctrl-C again to quit now)');
    worker.close(false).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1]?.endsWith('worker-cli.ts')) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    if (error instanceof SparseLocoError) console.error(`error: ${error.message}`);
    else console.error(error);
    process.exitCode = 2;
  });
}
