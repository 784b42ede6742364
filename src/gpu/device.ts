// Device acquisition: one adapter, one device with the adapter's buffer limits, and a readable name
// for every figure and log line ("google swiftshader", "nvidia ...").

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterName: string;
  readonly features: readonly string[];
  /** Set when the adapter is a software one (softwareAdapter's notice). */
  readonly software?: string;
}

/** What a fallback adapter's info may carry beyond the spec's GPUAdapterInfo fields in @webgpu/types. */
type AdapterInfoLike = GPUAdapterInfo & { readonly isFallbackAdapter?: boolean; readonly type?: string };

/** Whether an adapter of this name runs Vulkan on the CPU (SwiftShader, Mesa's llvmpipe/lavapipe): the
 *  adapters whose costs (barriers, per-lane loads) set the matmul family and the fused workgroup size. */
export const cpuEmulated = (adapterName: string): boolean => /swiftshader|llvmpipe|lavapipe/i.test(adapterName);

/**
 * A notice when the adapter renders on the CPU, else undefined: SwiftShader or Mesa's llvmpipe/lavapipe
 * by name, or any adapter that says it is a fallback one (`isFallbackAdapter`, on the info in current
 * browsers and Dawn, on the adapter in older ones) or of a CPU type. Such an adapter trains correctly but
 * many times slower, and a user whose GPU is not exposed sees nothing else to tell them.
 */
export function softwareAdapter(info: AdapterInfoLike, adapterFallback = false): string | undefined {
  const name = adapterName(info);
  const what = /swiftshader/i.test(name)
    ? 'SwiftShader, a CPU implementation of Vulkan'
    : /llvmpipe|lavapipe/i.test(name)
      ? "Mesa's CPU renderer"
      : info.isFallbackAdapter || adapterFallback
        ? 'a fallback adapter'
        : /cpu/i.test(info.type ?? '')
          ? 'a CPU adapter'
          : undefined;
  if (!what) return undefined;
  return (
    `the WebGPU adapter (${name}) is a software one (${what}): training runs on the CPU, many times slower ` +
    `than on a GPU. To use the GPU: enable hardware acceleration in the browser (chrome://gpu lists WebGPU ` +
    `as hardware accelerated), or install the GPU's driver (on Linux with Vulkan support)`
  );
}

export function adapterName(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? [...new Set(parts)].join(' ') : 'unknown adapter';
}

/** Requests a WebGPU device. Throws (never returns a stub) when WebGPU or an adapter is missing. */
export async function acquireDevice(): Promise<GpuContext> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    throw new Error(
      'WebGPU is not available here (navigator.gpu is missing; it needs a secure context such as http://127.0.0.1 and a browser with WebGPU enabled)',
    );
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('WebGPU adapter not found: navigator.gpu.requestAdapter() returned null');
  const wanted: GPUFeatureName[] = ['timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    },
  });
  device.addEventListener('uncapturederror', (e) => {
    console.error(`WebGPU uncaptured error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const software = softwareAdapter(adapter.info, fallback);
  return {
    device,
    adapterName: adapterName(adapter.info),
    features: requiredFeatures,
    ...(software ? { software } : {}),
  };
}
