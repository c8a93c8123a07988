/**
 * The dashboard's HTTP server (node's own http module) on 127.0.0.1: the page, its script, the
 * vega / vega-lite / vega-embed builds from node_modules (so the page works offline, nothing from a
 * CDN), the chart specs, and `/events`, a Server-Sent Events stream that sends the model's snapshot
 * and then every update. One model drives it, live or from a finished folder.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.ts';
import { chartRow, dashboardCharts } from './charts.ts';
import type { DashboardModel, DashboardUpdate } from './model.ts';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/** A package's browser build, found beside its resolved entry (both live in its build/ folder). */
function vendorFile(pkg: string, file: string): string {
  return join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
}

/** URL path → [file, content type]. Read on each request: small files, few requests. */
const STATIC: Readonly<Record<string, readonly [() => string, string]>> = {
  '/': [() => join(PAGE_DIR, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [() => join(PAGE_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
  '/vendor/vega.min.js': [() => vendorFile('vega', 'vega.min.js'), 'text/javascript; charset=utf-8'],
  '/vendor/vega-lite.min.js': [() => vendorFile('vega-lite', 'vega-lite.min.js'), 'text/javascript; charset=utf-8'],
  '/vendor/vega-embed.min.js': [() => vendorFile('vega-embed', 'vega-embed.min.js'), 'text/javascript; charset=utf-8'],
};

export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  /** Ends every open stream and stops listening. */
  close(): Promise<void>;
}

/**
 * The `--dashboard [PORT]` value: no value (or `true`) asks for a free port (0), a number 1 … 65535
 * a fixed one; `undefined` means no dashboard.
 *
 * @throws {ConfigError} for anything else, naming the value.
 * @example
 * parseDashboardPort('');     // 0
 * parseDashboardPort('8080'); // 8080
 */
export function parseDashboardPort(value: string | number | boolean | undefined, flag = '--dashboard'): number | null {
  if (value === undefined || value === false) return null;
  if (value === true || value === '') return 0;
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(flag, value, 'must be a port number 1 … 65535, or no value for a free port');
  }
  return port;
}

/** An update as the page reads it: rows carry the chart fields (charts.ts `chartRow`). */
function forPage(update: DashboardUpdate): unknown {
  return update.kind === 'row' ? { kind: 'row', row: chartRow(update.row) } : update;
}

/**
 * Serves `model` on `host:port` (port 0: a free one).
 *
 * @throws {ConfigError} when the port is in use (named), or cannot be listened on.
 * @example
 * const server = await startDashboard(model, { port: 0 });
 * console.error(`dashboard: ${server.url}`);
 */
export async function startDashboard(model: DashboardModel, options: { readonly port: number; readonly host?: string }): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const charts = JSON.stringify(dashboardCharts(model.meta.backend));
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/events') return streamEvents(model, req, res);
    if (path === '/favicon.ico') return void res.writeHead(204).end(); // none; a 404 would log a console error
    if (path === '/api/charts') return void res.writeHead(200, { 'content-type': 'application/json' }).end(charts);
    const entry = STATIC[path];
    if (entry === undefined) return void res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
    res.writeHead(200, { 'content-type': entry[1], 'cache-control': 'no-cache' }).end(readFileSync(entry[0]()));
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new ConfigError('--dashboard', options.port, `is in use on ${host}: pick another port, or give --dashboard no value for a free one`, { cause: error }));
      else reject(new ConfigError('--dashboard', options.port, `cannot be listened on at ${host}: ${error.message}`, { cause: error }));
    });
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // open event streams would hold close() forever
      }),
  };
}

/** The SSE stream: the snapshot first, then each update as it happens, until the page goes. */
function streamEvents(model: DashboardModel, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: unknown): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const snapshot = model.snapshot();
  send('snapshot', { ...snapshot, rows: snapshot.rows.map(chartRow) });
  const unsubscribe = model.subscribe((update) => send('update', forPage(update)));
  req.on('close', unsubscribe);
}
