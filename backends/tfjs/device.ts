/**
 * What runs an engine's kernels, as read from the engine itself: the WebGPU adapter's info for
 * webgpu (vendor, architecture, device, description), the physical GPUs for tfjs-node-gpu (its
 * binding says whether libtensorflow listed a GPU device; `nvidia-smi` names them), the host CPU
 * for tfjs-node, wasm and cpu. A run records it beside the engine name, so a result is never
 * labelled GPU when the kernels ran on a CPU. No tfjs import: the types travel with configs.
 *
 * @example
 * webgpuAdapterDevice({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' }).label;
 * // 'nvidia hopper NVIDIA H200 (WebGPU adapter, Dawn)'
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** The processor an engine's kernels run on. */
export interface EngineDevice {
  /** 'gpu' when the kernels run on a GPU, 'cpu' otherwise. */
  readonly kind: 'gpu' | 'cpu';
  /** One line naming it, for tables and results folders. */
  readonly label: string;
  /** The fields the label was built from (adapter info, nvidia-smi columns, CPU model). */
  readonly info: Readonly<Record<string, string>>;
}

/** The WebGPU `GPUAdapterInfo` fields tfjs-backend-webgpu reads too. */
export interface WebgpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/** Adapter names of CPU implementations of Vulkan/WebGPU: a GPU label on them would be false. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software/i;

/** The host CPU running `how` ('wasm', 'pure JS', 'libtensorflow'). */
export function hostCpuDevice(how: string): EngineDevice {
  const all = cpus();
  const model = all[0]?.model.trim() ?? 'unknown CPU';
  return Object.freeze({ kind: 'cpu', label: `host CPU: ${model} × ${all.length} (${how})`, info: Object.freeze({ cpuModel: model, logicalCores: String(all.length), via: how }) });
}

/**
 * The GPU behind a WebGPU adapter, or null when the adapter is a software one (Dawn's fallback
 * adapter, SwiftShader, llvmpipe): then the caller refuses it.
 */
export function webgpuAdapterDevice(info: WebgpuAdapterInfo, isFallbackAdapter = false): EngineDevice | null {
  const fields = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  if (isFallbackAdapter || SOFTWARE_ADAPTER.test(Object.values(fields).join(' '))) return null;
  const name = [fields.vendor, fields.architecture, fields.description || fields.device].filter((s) => s !== '').join(' ') || 'unnamed adapter';
  return Object.freeze({ kind: 'gpu', label: `${name} (WebGPU adapter, Dawn)`, info: Object.freeze(fields) });
}

/** The GPUs libtensorflow runs on, named by `nvidia-smi` when it is on PATH (else unnamed). */
export function nativeGpuDevice(gpus: readonly string[] | null): EngineDevice {
  const named = gpus !== null && gpus.length > 0 ? gpus.join('; ') : 'GPU (nvidia-smi not found: unnamed)';
  const info: Record<string, string> = { via: 'libtensorflow (CUDA)', gpus: String(gpus?.length ?? 'unknown') };
  (gpus ?? []).forEach((g, i) => (info[`gpu${i}`] = g));
  return Object.freeze({ kind: 'gpu', label: `${named} (libtensorflow, CUDA)`, info: Object.freeze(info) });
}

/** Command runner; replaceable in tests. Returns stdout or throws. */
export type CommandRunner = (file: string, args: readonly string[]) => string;

const runCommand: CommandRunner = (file, args) => execFileSync(file, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });

/**
 * One line per physical NVIDIA GPU ('NVIDIA H200, 143771 MiB, driver 570.86') from `nvidia-smi`, or
 * null when it is not installed or fails (then the GPUs stay unnamed, not invented).
 */
export function listNvidiaGpus(run: CommandRunner = runCommand): string[] | null {
  let out: string;
  try {
    out = run('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader']);
  } catch {
    return null;
  }
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name, memory, driver] = line.split(',').map((s) => s.trim());
      return `${name}, ${memory}, driver ${driver}`;
    });
}
