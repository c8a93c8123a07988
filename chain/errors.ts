/**
 * The two ways a chain call fails, as typed errors callers branch on (never on message text):
 * the contract said no ({@link ChainRevertError}: a custom error decoded with the Coordinator ABI,
 * identical between the EVM and the model), or the transport failed ({@link ChainRpcError}).
 */
import { SparseLocoError, formatValue } from '../core/errors.ts';
import type { SparseLocoErrorOptions } from '../core/errors.ts';
import type { Hex } from './types.ts';

/**
 * The contract reverted. `errorName` is the custom error's name (`RoundCommitmentsDuplicate`),
 * `Panic` for a Solidity panic (args `[code]`), `Error` for `require(…, "reason")`, or `Unknown`
 * when the revert data could not be recovered or decoded (then `data` holds what there was).
 */
export class ChainRevertError extends SparseLocoError {
  override name = 'ChainRevertError';
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    readonly data: Hex | undefined = undefined,
    options: SparseLocoErrorOptions = {},
  ) {
    super(`contract reverted with ${errorName}(${args.map(formatValue).join(', ')})`, options);
  }
}

/**
 * Why a transport call failed:
 * - `timeout`: no answer in time (the request may or may not have been executed);
 * - `connection`: refused, reset or closed (same caveat);
 * - `http`: a non-2xx HTTP status;
 * - `nonce`: the node rejected the transaction's nonce and the transaction is provably not mined;
 * - `rpc`: any other JSON-RPC error the node returned;
 * - `not-mined`: the transaction was sent but no receipt appeared in time.
 */
export type ChainRpcReason = 'timeout' | 'connection' | 'http' | 'nonce' | 'rpc' | 'not-mined';

/**
 * A JSON-RPC call failed for a reason other than a revert. `retryable` says whether repeating the
 * same call is safe and may succeed: reads always are when the fault is transient; a write is only
 * reported retryable once it is proven that its transaction was not mined (`txHash` names it).
 */
export class ChainRpcError extends SparseLocoError {
  override name = 'ChainRpcError';
  constructor(
    readonly reason: ChainRpcReason,
    readonly retryable: boolean,
    readonly method: string,
    message: string,
    readonly txHash: Hex | undefined = undefined,
    options: SparseLocoErrorOptions = {},
  ) {
    super(`${method} failed (${reason}${retryable ? ', retryable' : ''}): ${message}`, options);
  }
}
