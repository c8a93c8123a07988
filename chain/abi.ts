/**
 * The Coordinator's ABI and bytecode (from Hardhat's build artifacts) and the decoding between
 * ABI values and the client's plain data: revert data → {@link ChainRevertError}, logs →
 * {@link CoordinatorEvent}, call results → numbers / bigints by viem's width rule (see types.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, getAddress } from 'ethers';
import type { ParamType, Result } from 'ethers';
import { ChainRevertError } from './errors.ts';
import type { CoordinatorEvent, Hex } from './types.ts';

/** ABI + creation bytecode of the Coordinator. */
export interface CoordinatorArtifact {
  readonly abi: readonly unknown[];
  readonly bytecode: Hex;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Reads `artifacts/contracts/Coordinator.sol/Coordinator.json` (written by `npx hardhat build`;
 * tests run the build task first, see test/contracts/helpers.ts).
 */
export function loadCoordinatorArtifact(root: string = REPO_ROOT): CoordinatorArtifact {
  const path = join(root, 'artifacts', 'contracts', 'Coordinator.sol', 'Coordinator.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { abi: unknown[]; bytecode: Hex };
  return { abi: json.abi, bytecode: json.bytecode };
}

/** Converts one decoded ABI value to the client's representation (viem's integer rule). */
export function normaliseValue(type: ParamType, value: unknown): unknown {
  if (type.isArray()) return (value as unknown[]).map((v) => normaliseValue(type.arrayChildren, v));
  if (type.isTuple()) {
    const out: Record<string, unknown> = {};
    type.components.forEach((c, i) => (out[c.name] = normaliseValue(c, (value as Result)[i])));
    return out;
  }
  const base = type.baseType;
  if (base.startsWith('uint') || base.startsWith('int')) {
    const bits = Number(base.replace(/^u?int/, '') || '256');
    return bits <= 48 ? Number(value) : BigInt(value as bigint);
  }
  if (base === 'address') return getAddress(value as string);
  if (base.startsWith('bytes')) return (value as string).toLowerCase();
  return value;
}

/** Solidity's `Panic(uint256)` and `Error(string)`, which every contract may revert with. */
const BUILTIN_ERRORS = new Interface(['error Panic(uint256 code)', 'error Error(string message)']);

/** Decodes revert data into a {@link ChainRevertError} (errorName `Unknown` when unrecognised). */
export function decodeRevert(iface: Interface, data: Hex | undefined, cause?: unknown): ChainRevertError {
  if (data === undefined || data.length < 10) return new ChainRevertError('Unknown', [], data, { cause });
  for (const candidate of [iface, BUILTIN_ERRORS]) {
    try {
      const parsed = candidate.parseError(data);
      if (!parsed) continue;
      const args = parsed.fragment.inputs.map((input, i) => normaliseValue(input, parsed.args[i]));
      return new ChainRevertError(parsed.name, args, data, { cause });
    } catch {
      // Not this interface's error (or malformed data): try the next one.
    }
  }
  return new ChainRevertError('Unknown', [], data, { cause });
}

/** Decodes one Coordinator log; undefined for a log of another contract or event. */
export function decodeEvent(iface: Interface, log: { topics: readonly string[]; data: string }): CoordinatorEvent | undefined {
  const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return undefined;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => (args[input.name] = normaliseValue(input, parsed.args[i])));
  return { name: parsed.name, args } as CoordinatorEvent;
}

/** Decodes a view's return data: one output → its value, several → an object by name. */
export function decodeResult(iface: Interface, fn: string, data: Hex): unknown {
  const fragment = iface.getFunction(fn);
  if (!fragment) throw new Error(`no function ${fn} in the Coordinator ABI`);
  const result = iface.decodeFunctionResult(fragment, data);
  const outputs = fragment.outputs;
  if (outputs.length === 1) return normaliseValue(outputs[0], result[0]);
  const out: Record<string, unknown> = {};
  outputs.forEach((o, i) => (out[o.name] = normaliseValue(o, result[i])));
  return out;
}

/**
 * Finds revert data in whatever error object a node or library produced: ethers puts it in
 * `data`, Hardhat in `data` or `error.data`, ganache in `data.result`. Returns the first hex string
 * that starts with a 4-byte selector.
 */
export function findRevertData(error: unknown, depth = 0): Hex | undefined {
  if (depth > 5 || error === null || typeof error !== 'object') return undefined;
  const record = error as Record<string, unknown>;
  for (const key of ['data', 'result', 'returnValue']) {
    const value = record[key];
    if (typeof value === 'string' && /^0x[0-9a-fA-F]{8}/.test(value)) return value.toLowerCase() as Hex;
  }
  for (const key of ['data', 'error', 'info', 'cause']) {
    const found = findRevertData(record[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}
