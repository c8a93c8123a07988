/**
 * JSON-RPC transports (viem's word): the one function a chain client needs from a node,
 * `request({ method, params })`. {@link httpTransport} speaks HTTP with a per-request timeout and
 * turns network faults into {@link ChainRpcError}s; {@link eip1193Transport} adapts an in-process
 * provider (Hardhat's `connection.provider`); {@link withReadRetry} repeats idempotent calls.
 */
import { ChainRpcError } from './errors.ts';

/** EIP-1193 `request`. Rejects with a {@link ChainRpcError} (transport fault) or a {@link JsonRpcError}. */
export interface ChainTransport {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
}

/** An error object a node returned in a JSON-RPC response (revert, nonce, unsupported method, ...). */
export class JsonRpcError extends Error {
  override name = 'JsonRpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

export interface HttpTransportOptions {
  readonly timeoutMs?: number; // wall ms per request; default 10,000
}

/**
 * JSON-RPC over HTTP to `url` (a Hardhat node, ganache, any EVM node).
 * @example const transport = httpTransport('http://127.0.0.1:8545');
 */
export function httpTransport(url: string, options: HttpTransportOptions = {}): ChainTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let id = 0;
  return {
    async request({ method, params = [] }) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        const reason = timedOut ? 'timeout' : 'connection';
        throw new ChainRpcError(reason, true, method, String((error as Error).cause ?? error), undefined, { cause: error });
      }
      if (!response.ok) {
        throw new ChainRpcError('http', response.status >= 500, method, `HTTP ${response.status} from ${url}`);
      }
      let body: { result?: unknown; error?: { code: number; message: string; data?: unknown } };
      try {
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw new ChainRpcError('connection', true, method, `unreadable response from ${url}`, undefined, { cause: error });
      }
      if (body.error) throw new JsonRpcError(body.error.code, body.error.message, body.error.data);
      return body.result;
    },
  };
}

/** Any EIP-1193 provider, e.g. `(await network.getOrCreate()).provider` of Hardhat. */
export function eip1193Transport(provider: {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}): ChainTransport {
  return {
    async request({ method, params = [] }) {
      try {
        return await provider.request({ method, params: [...params] });
      } catch (error) {
        // In-process providers throw their own error classes; keep code/message/data.
        const e = error as { code?: number; message?: string; data?: unknown };
        throw new JsonRpcError(e.code ?? -32000, e.message ?? String(error), e.data ?? error);
      }
    },
  };
}

export interface RetryOptions {
  readonly retries?: number; // extra attempts after the first; default 3
  readonly backoffMs?: number; // wall ms before the first retry, doubled each time; default 50
}

/**
 * Calls `request` again after a retryable {@link ChainRpcError}. Only for idempotent calls (reads,
 * receipt look-ups, re-sending the same signed transaction).
 */
export async function withReadRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 3;
  let delay = options.backoffMs ?? 50;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ChainRpcError) || !error.retryable || attempt >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
