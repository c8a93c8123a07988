/**
 * The WebGPU engine on Node: Dawn (the `webgpu` npm package) provides `navigator.gpu`'s API, and
 * `@tensorflow/tfjs-backend-webgpu` runs the kernels. This module asks Dawn for a high-performance
 * adapter, refuses none or a software one with a {@link NoGpuError} (so a CPU never runs under a
 * GPU label), requests a device with the adapter's own buffer limits (the default 128 MiB binding
 * limit is below one weight matrix of a 50M-parameter model's gradient buffers) and registers the
 * tfjs 'webgpu' backend on it.
 *
 * Why not the package's own registration: it runs only when `navigator.gpu` exists at import time,
 * and its factory dereferences a null adapter; here the adapter is checked first and the error says
 * what Dawn found.
 */
import { ConfigError } from '../../core/errors.ts';
import { webgpuAdapterDevice } from './device.ts';
import type { EngineDevice, WebgpuAdapterInfo } from './device.ts';
import { NoGpuError } from './engine-names.ts';

/** Dynamic `import()`; replaceable in tests. */
type Importer = (specifier: string) => Promise<unknown>;

/** The part of tfjs this module registers a backend with. */
interface TfRegistry {
  findBackendFactory(name: string): unknown;
  registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
}

interface DawnAdapter {
  readonly info?: WebgpuAdapterInfo & { readonly isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
  readonly features: ReadonlySet<string>;
  readonly limits: Readonly<Record<string, number>>;
  requestDevice(descriptor: object): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(options: object): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

export const WEBGPU_INSTALL_HINT =
  'The `webgpu` (Dawn) and `@tensorflow/tfjs-backend-webgpu` packages are optional dependencies of this project (`npm ci` installs them). ' +
  'Dawn needs a GPU with a Vulkan driver on Linux: libvulkan.so.1 and the vendor ICD (NVIDIA: the driver\'s nvidia_icd.json; ' +
  'in a container, NVIDIA_DRIVER_CAPABILITIES must include "graphics"). See backends/tfjs/README.md.';

/** Dawn toggles from SPARSELOCO_DAWN_FLAGS (comma-separated, e.g. "backend=vulkan"); none by default. */
function dawnFlags(): string[] {
  const raw = process.env.SPARSELOCO_DAWN_FLAGS;
  if (raw === undefined || raw.trim() === '') return [];
  const flags = raw.split(',').map((f) => f.trim()).filter((f) => f !== '');
  for (const f of flags) if (!/^[a-z-]+=[\w,.-]+$/i.test(f)) throw new ConfigError('SPARSELOCO_DAWN_FLAGS', raw, 'must be comma-separated name=value Dawn toggles');
  return flags;
}

/** One Dawn instance per Dawn module, kept alive for the process: it owns the adapter and device. */
const dawnInstances = new WeakMap<DawnModule, DawnGpu>();

/** A hardware adapter Dawn found, with the device it names. */
export interface FoundAdapter {
  readonly adapter: DawnAdapter;
  readonly info: WebgpuAdapterInfo;
  readonly device: EngineDevice;
}

/**
 * Asks Dawn for a high-performance adapter and checks it is hardware. Cheap (no tfjs, no device):
 * 'auto' runs it before starting a webgpu worker.
 *
 * @throws {NoGpuError} when Dawn finds no adapter or only a software one.
 */
export async function findWebgpuAdapter(importModule: Importer): Promise<FoundAdapter> {
  const dawn = (await importModule('webgpu')) as DawnModule;
  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode, … as globals, as in a browser.
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  let gpu = dawnInstances.get(dawn);
  if (gpu === undefined) dawnInstances.set(dawn, (gpu = dawn.create(dawnFlags())));
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    throw new NoGpuError('webgpu', 'webgpu', "Dawn's requestAdapter({ powerPreference: 'high-performance' }) returned null: no WebGPU adapter (Dawn prints why on stderr, e.g. libvulkan.so.1 missing)", WEBGPU_INSTALL_HINT);
  }
  const info: WebgpuAdapterInfo = adapter.info ?? { vendor: '', architecture: '', device: '', description: '' };
  const device = webgpuAdapterDevice(info, adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true);
  if (device === null) {
    throw new NoGpuError('webgpu', 'webgpu', `the only WebGPU adapter is a software one (${JSON.stringify(info)}): its kernels would run on the CPU`, WEBGPU_INSTALL_HINT);
  }
  return { adapter, info, device };
}

/**
 * Finds a hardware WebGPU adapter ({@link findWebgpuAdapter}) and registers tfjs's 'webgpu'
 * backend on a device of it. Returns the adapter as an {@link EngineDevice}.
 *
 * @throws {NoGpuError} when Dawn finds no adapter or only a software one.
 */
export async function registerWebgpuBackend(tf: TfRegistry, importModule: Importer): Promise<EngineDevice> {
  const { adapter, info, device } = await findWebgpuAdapter(importModule);
  const { WebGPUBackend } = (await importModule('@tensorflow/tfjs-backend-webgpu')) as { WebGPUBackend: new (device: unknown, info: unknown) => unknown };
  if (tf.findBackendFactory('webgpu') === null) {
    const limits = adapter.limits;
    const gpuDevice = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    tf.registerBackend('webgpu', () => new WebGPUBackend(gpuDevice, info));
  }
  return device;
}
