/**
 * Sends one account's transactions so that a fault never commits an intent twice.
 *
 * Each intent is signed here exactly once, under one nonce, so its hash is known before it is
 * sent. After a timeout or a dropped connection the sender looks the hash up and, if it is not
 * mined, re-sends the very same bytes (a node dedupes them by hash) — it never signs the intent
 * again under a new nonce. Only when the node proves the nonce went to another transaction
 * (those bytes can then never be mined) does it report the intent as safe to retry.
 * Reverts are found before sending by estimating gas, which runs in the pending block
 * (block.number = latest + 1) on Hardhat and ganache alike, so a doomed write costs nothing.
 */
import { getAddress, keccak256, toQuantity } from 'ethers';
import type { TransactionRequest } from 'ethers';
import { findRevertData } from './abi.ts';
import { ChainRpcError } from './errors.ts';
import { JsonRpcError, withReadRetry } from './transport.ts';
import type { ChainTransport, RetryOptions } from './transport.ts';
import type { Address, Hex } from './types.ts';

/** What the sender needs from a wallet: its address and offline signing (ethers `Wallet`, `HDNodeWallet`). */
export interface TransactionSigner {
  readonly address: string;
  signTransaction(tx: TransactionRequest): Promise<string>;
}

export interface TransactionSenderOptions {
  /** Retries of idempotent calls (reads, receipt look-ups, re-sending the same signed bytes). */
  readonly retry?: RetryOptions;
  readonly receiptTimeoutMs?: number; // wall ms to wait for a receipt; default 30,000
  readonly pollIntervalMs?: number; // wall ms between receipt polls; default 25
  readonly priorityFeeWei?: bigint; // tip per gas (wei); default 1 gwei
}

/** A receipt as JSON-RPC returns it (hex quantities). */
export interface RpcReceipt {
  status: string;
  blockNumber: string;
  gasUsed: string;
  transactionHash: Hex;
  contractAddress?: string | null;
  logs: RpcLog[];
}

export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  logIndex: string;
  blockNumber: string;
  transactionHash: Hex;
}

/** The outcome of a sent transaction: mined and succeeded, or reverted with revert data. */
export type SendOutcome =
  | { readonly status: 'mined'; readonly receipt: RpcReceipt }
  | { readonly status: 'reverted'; readonly revertData: Hex | undefined; readonly receipt: RpcReceipt | undefined; readonly cause?: unknown };

const GAS_MARGIN_PERCENT = 120n; // estimates are exact on dev nodes; the margin covers state that moves before mining

/** One account's sender. Sends are serialised so nonces go out in order. */
export class TransactionSender {
  readonly account: Address;
  private readonly retry: RetryOptions;
  private readonly receiptTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly priorityFee: bigint;
  private chainId: bigint | undefined;
  private nextNonce: number | undefined; // undefined: re-read from the node before the next send
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: ChainTransport,
    private readonly wallet: TransactionSigner,
    options: TransactionSenderOptions = {},
  ) {
    this.account = getAddress(wallet.address);
    this.retry = options.retry ?? {};
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.priorityFee = options.priorityFeeWei ?? 1_000_000_000n;
  }

  /** An idempotent request, retried on transient faults. */
  read<T>(method: string, params: readonly unknown[]): Promise<T> {
    return withReadRetry(() => this.transport.request({ method, params }) as Promise<T>, this.retry);
  }

  /**
   * Estimates, signs, sends and waits for one transaction (`to` undefined: contract creation).
   * Resolves with the outcome (a revert is an outcome); rejects with a {@link ChainRpcError}.
   */
  send(request: { readonly to?: Address; readonly data: string; readonly value?: bigint }): Promise<SendOutcome> {
    const run = this.queue.then(() => this.sendNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(request: { readonly to?: Address; readonly data: string; readonly value?: bigint }): Promise<SendOutcome> {
    const value = request.value ?? 0n;
    let gas: bigint;
    try {
      const call = { from: this.account, to: request.to, data: request.data, value: toQuantity(value) };
      gas = BigInt(await this.read<string>('eth_estimateGas', [call]));
    } catch (error) {
      if (error instanceof ChainRpcError) throw error;
      const revertData = findRevertData(error);
      if (revertData || /revert/i.test((error as Error).message)) {
        return { status: 'reverted', revertData, receipt: undefined, cause: error };
      }
      throw new ChainRpcError('rpc', false, 'eth_estimateGas', (error as Error).message, undefined, { cause: error });
    }
    this.chainId ??= BigInt(await this.read<string>('eth_chainId', []));
    this.nextNonce ??= Number(BigInt(await this.read<string>('eth_getTransactionCount', [this.account, 'pending'])));
    const nonce = this.nextNonce;
    const raw = await this.wallet.signTransaction({
      ...(await this.fees()),
      chainId: this.chainId,
      nonce,
      to: request.to ?? null,
      data: request.data,
      value,
      gasLimit: (gas * GAS_MARGIN_PERCENT) / 100n,
    });
    const txHash = keccak256(raw) as Hex;
    try {
      const outcome = await this.submit(raw, txHash);
      // Mined (either way) or rejected before mining without using the nonce.
      this.nextNonce = outcome.receipt ? nonce + 1 : undefined;
      if (outcome.status === 'mined' && outcome.receipt.status !== '0x1') {
        return { status: 'reverted', revertData: await this.traceRevertData(txHash), receipt: outcome.receipt };
      }
      return outcome;
    } catch (error) {
      this.nextNonce = undefined; // unsure what the node holds: re-read before the next send
      throw error;
    }
  }

  /** EIP-1559 fees from the latest base fee, or the legacy gas price on a pre-London chain. */
  private async fees(): Promise<TransactionRequest> {
    const block = await this.read<{ baseFeePerGas?: string }>('eth_getBlockByNumber', ['latest', false]);
    if (block.baseFeePerGas === undefined) return { type: 0, gasPrice: BigInt(await this.read<string>('eth_gasPrice', [])) };
    const base = BigInt(block.baseFeePerGas);
    return { type: 2, maxPriorityFeePerGas: this.priorityFee, maxFeePerGas: 2n * base + this.priorityFee };
  }

  /**
   * Sends the signed bytes and waits for their receipt. After a transport fault it looks the hash
   * up first and re-sends the same bytes only if the transaction is not known to be mined.
   */
  private async submit(raw: string, txHash: Hex): Promise<SendOutcome> {
    const retries = this.retry.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.transport.request({ method: 'eth_sendRawTransaction', params: [raw] });
        break;
      } catch (error) {
        if (error instanceof ChainRpcError) {
          const mined = await this.receiptOrUndefined(txHash);
          if (mined) return { status: 'mined', receipt: mined };
          if (!error.retryable || attempt >= retries) {
            // Sent or not, we cannot tell: the caller must not assume either way.
            throw new ChainRpcError(error.reason, false, 'eth_sendRawTransaction', error.message, txHash, { cause: error });
          }
          // The same bytes again (the node dedupes by hash), after the read retry's backoff: a
          // restarting node refuses connections for a few seconds.
          await new Promise((resolve) => setTimeout(resolve, (this.retry.backoffMs ?? 50) * 2 ** attempt));
          continue;
        }
        const message = (error as Error).message ?? '';
        const revertData = findRevertData(error);
        if (revertData) {
          // Hardhat's automine mines a reverting transaction and reports the revert on send.
          return { status: 'reverted', revertData, receipt: await this.receiptOrUndefined(txHash), cause: error };
        }
        if (/already known|known transaction|already imported/i.test(message)) break;
        if (/nonce/i.test(message)) {
          const mined = await this.receiptOrUndefined(txHash); // an earlier attempt may have made it
          if (mined) return { status: 'mined', receipt: mined };
          // The nonce went to another transaction, so these bytes can never be mined: the intent may be retried.
          throw new ChainRpcError('nonce', true, 'eth_sendRawTransaction', message, txHash, { cause: error });
        }
        const code = error instanceof JsonRpcError ? ` (code ${error.code})` : '';
        throw new ChainRpcError('rpc', false, 'eth_sendRawTransaction', message + code, txHash, { cause: error });
      }
    }
    return { status: 'mined', receipt: await this.waitForReceipt(txHash, raw) };
  }

  private async receiptOrUndefined(txHash: Hex): Promise<RpcReceipt | undefined> {
    try {
      return (await this.read<RpcReceipt | null>('eth_getTransactionReceipt', [txHash])) ?? undefined;
    } catch (error) {
      if (error instanceof ChainRpcError) return undefined;
      throw error;
    }
  }

  /**
   * Polls for the receipt. A node restarted from its database after accepting the transaction but
   * before writing it no longer knows it: then the same signed bytes are sent again.
   */
  private async waitForReceipt(txHash: Hex, raw: string): Promise<RpcReceipt> {
    const deadline = performance.now() + this.receiptTimeoutMs;
    for (;;) {
      const receipt = await this.receiptOrUndefined(txHash);
      if (receipt) return receipt;
      await this.resendIfForgotten(txHash, raw);
      if (performance.now() > deadline) {
        throw new ChainRpcError('not-mined', false, 'eth_getTransactionReceipt', `no receipt after ${this.receiptTimeoutMs} ms`, txHash);
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollIntervalMs));
    }
  }

  /** Re-sends `raw` when the node answers that it does not know `txHash` (lost in a node restart). */
  private async resendIfForgotten(txHash: Hex, raw: string): Promise<void> {
    try {
      const known = await this.transport.request({ method: 'eth_getTransactionByHash', params: [txHash] });
      if (known === null) await this.transport.request({ method: 'eth_sendRawTransaction', params: [raw] });
    } catch {
      // Node still down, or it now knows the bytes: the next receipt poll decides.
    }
  }

  /** Revert data of a mined, failed transaction via debug_traceTransaction, where the node has it. */
  private async traceRevertData(txHash: Hex): Promise<Hex | undefined> {
    try {
      const trace = await this.read<{ returnValue?: string }>('debug_traceTransaction', [
        txHash,
        { disableStorage: true, disableMemory: true, disableStack: true },
      ]);
      const value = trace.returnValue;
      if (!value) return undefined;
      return (value.startsWith('0x') ? value : `0x${value}`) as Hex;
    } catch {
      return undefined;
    }
  }
}
