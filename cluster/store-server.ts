/**
 * The store as a network service, for the shaped cluster (cluster/netns.ts): an S3-compatible
 * server (s3rver, the one the S3Store tests run) on `--address:--port`, keeping its objects in
 * `--directory`, with bucket `--bucket` created. Peers and the validator reach it with the
 * S3Store over the shaped links, so every message crosses them. Forked by the orchestrator inside
 * the store's namespace; it tells its parent 'ready' once it listens and runs until killed.
 *
 *   npx tsx cluster/store-server.ts --address 10.250.7.1 --port 9000 --directory /tmp/s3 --bucket cluster
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.ts';
import { notifyParent } from './node-context.ts';

/** The slice of s3rver's API used here (the package ships no types). */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: { port: number; address: string; directory: string; silent: boolean; configureBuckets: { name: string }[] }) => S3rverServer;

/** The credentials s3rver accepts (it checks none): what the orchestrator gives every S3Store (copy it: the SDK writes into the object it is given). */
export const STORE_SERVER_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** Starts the server; resolves with its port once it listens. */
export async function serveStore(p: { readonly address: string; readonly port: number; readonly directory: string; readonly bucket: string }): Promise<number> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const server = new S3rver({ port: p.port, address: p.address, directory: p.directory, silent: true, configureBuckets: [{ name: p.bucket }] });
  return (await server.run()).port;
}

if (process.argv[1]?.endsWith('store-server.ts')) {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { address: { type: 'string' }, port: { type: 'string' }, directory: { type: 'string' }, bucket: { type: 'string' } } });
  const port = Number(values.port ?? '0');
  if (values.address === undefined || values.directory === undefined || values.bucket === undefined) throw new ConfigError('store-server', JSON.stringify(values), 'needs --address, --directory and --bucket');
  if (process.send !== undefined) process.once('disconnect', () => process.exit(4));
  serveStore({ address: values.address, port, directory: values.directory, bucket: values.bucket }).then(
    () => notifyParent({ kind: 'ready', role: 'store', uid: null }),
    (error: unknown) => {
      console.error(`store-server: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
