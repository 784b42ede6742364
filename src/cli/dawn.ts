// Node's WebGPU: Dawn's Node bindings (the npm package `webgpu`, the Dawn that Chrome ships) made this
// process's navigator.gpu, in this one place, so the library acquires its device exactly as in a page.
// The library reads no other GPU global (src/gpu/flags.ts), so nothing else is installed. When there is
// no adapter, the reason names what to install: the package, the Vulkan loader, or a GPU driver.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { slowDawnPoll } from './dawn-poll.ts';

interface DawnModule {
  create(flags: string[]): GPU;
}

/** What the no-adapter reason reads (injected by tests). */
export interface DawnHost {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly exists: (path: string) => boolean;
}

const REAL: DawnHost = { platform: process.platform, env: process.env, exists: existsSync };

/** Where Debian, Ubuntu, Fedora and Arch put the Vulkan loader, and LD_LIBRARY_PATH's directories. */
function loaderDirs(env: DawnHost['env']): string[] {
  const std = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...std];
}

/** SwiftShader's Vulkan driver as Debian's Chromium installs it: a software adapter when there is no GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** One line: why Dawn offered no adapter here, and what to install. */
export function noAdapterReason(host: DawnHost = REAL): string {
  if (host.platform === 'darwin')
    return 'Dawn found no Metal adapter: WebGPU in Node needs macOS 11 or later on a Mac with Metal';
  if (host.platform === 'win32') return 'Dawn found no D3D12 or Vulkan adapter: install or update the GPU driver';
  if (!loaderDirs(host.env).some((d) => host.exists(join(d, 'libvulkan.so.1'))))
    return 'no Vulkan loader (libvulkan.so.1): install the package libvulkan1 (apt-get install -y libvulkan1), and a GPU driver with Vulkan';
  const swift = host.exists(SWIFTSHADER_ICD)
    ? `; without a GPU, VK_DRIVER_FILES=${SWIFTSHADER_ICD} gives SwiftShader (slow)`
    : '';
  return `Dawn found no Vulkan adapter: install the GPU's Vulkan driver (NVIDIA's driver; mesa-vulkan-drivers for AMD and Intel)${swift}`;
}

const MISSING = "--runtime node needs Dawn's Node bindings: npm i webgpu (a devDependency: npm ci installs it)";

/** The package's dawn.node for this OS (the bundled bench and the device pack load it by path). */
export function dawnNodePath(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('webgpu/package.json');
  } catch (e) {
    throw new Error(MISSING, { cause: e });
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return join(dirname(pkg), 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/** Loads the `webgpu` package, or the dawn.node named by WEBGPU_DAWN_NODE (the device pack has no
 *  node_modules). The package's name is in a variable so that neither the typecheck nor a bundle needs it. */
async function loadDawn(): Promise<DawnModule> {
  const file = process.env.WEBGPU_DAWN_NODE;
  if (file) return createRequire(import.meta.url)(file) as DawnModule;
  const name = 'webgpu';
  try {
    return (await import(name)) as DawnModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new Error(MISSING, { cause: e });
    throw new Error(`the webgpu package would not load: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

let installed: GPU | undefined;

/**
 * Makes Dawn this process's navigator.gpu (once) after checking that it offers an adapter, so the
 * library's own acquisition (high-performance preference, limits, features) finds it. `flags` are
 * Dawn's create() options (e.g. backend=vulkan). Throws with noAdapterReason when there is none.
 */
export async function installDawn(flags: readonly string[] = []): Promise<GPU> {
  if (installed) return installed;
  const gpu = (await loadDawn()).create([...flags]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(noAdapterReason());
  // On a CPU adapter dawn.node's spinning poll takes the cores the device itself runs on (dawn-poll.ts);
  // on a GPU it costs only an idle core and settles promises soonest, so it stays.
  if (adapter.info.isFallbackAdapter) slowDawnPoll();
  // Node 20 has no navigator; Node 21+ has one without gpu.
  if (typeof navigator === 'undefined')
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  else Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  installed = gpu;
  return gpu;
}
