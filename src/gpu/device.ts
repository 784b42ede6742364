// Device acquisition: one adapter, one device with the adapter's buffer limits, and a readable name
// for every figure and log line ("google swiftshader", "nvidia ...").

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterName: string;
  readonly features: readonly string[];
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
  return { device, adapterName: adapterName(adapter.info), features: requiredFeatures };
}
