import { existsSync } from 'node:fs';
import { posix, win32 } from 'node:path';

// The browser for WebGPU work: the user's Chrome, Chromium or Edge at its standard install path on Linux,
// macOS or Windows (the paths Playwright's `channel` option looks in, listed here so that one table
// serves every OS, CHROMIUM_PATH and --browser alike, and a test can check it without an install), with
// flags that enable WebGPU and keep it off the network.

/** A browser family --browser can name. */
export type BrowserName = 'chrome' | 'chromium' | 'msedge';
export const BROWSER_NAMES: readonly BrowserName[] = ['chrome', 'chromium', 'msedge'];

/** What finding a browser reads: the OS, the environment and the file system (injected by tests). */
export interface BrowserHost {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly exists: (path: string) => boolean;
}

export const REAL_HOST: BrowserHost = { platform: process.platform, env: process.env, exists: existsSync };

/** Each family's standard executables on one OS, most common first. */
function installPaths(name: BrowserName, host: BrowserHost): string[] {
  const { platform, env } = host;
  if (platform === 'win32') {
    // Per-user installs under LOCALAPPDATA, machine-wide ones under either Program Files.
    const roots = [env.LOCALAPPDATA, env.PROGRAMFILES, env['PROGRAMFILES(X86)']].filter((r): r is string => !!r);
    const tail = {
      chrome: ['Google', 'Chrome', 'Application', 'chrome.exe'],
      chromium: ['Chromium', 'Application', 'chrome.exe'],
      msedge: ['Microsoft', 'Edge', 'Application', 'msedge.exe'],
    }[name];
    return roots.map((r) => win32.join(r, ...tail));
  }
  if (platform === 'darwin') {
    const app = { chrome: 'Google Chrome', chromium: 'Chromium', msedge: 'Microsoft Edge' }[name];
    const bundle = `${app}.app/Contents/MacOS/${app}`;
    return ['/Applications', ...(env.HOME ? [posix.join(env.HOME, 'Applications')] : [])].map((d) =>
      posix.join(d, bundle),
    );
  }
  return {
    chrome: ['/opt/google/chrome/chrome', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
    chromium: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'],
    msedge: ['/opt/microsoft/msedge/msedge', '/usr/bin/microsoft-edge', '/usr/bin/microsoft-edge-stable'],
  }[name];
}

/** The families tried when none is named: on Linux Chromium first (the distributions' package, and what
 *  CI installs), elsewhere Chrome first (Edge is on every Windows, Chromium rarely installed). */
function defaultOrder(platform: NodeJS.Platform): BrowserName[] {
  return platform === 'linux' ? ['chromium', 'chrome', 'msedge'] : ['chrome', 'msedge', 'chromium'];
}

/** How to install a browser, in this OS's words. */
function installHint(platform: NodeJS.Platform): string {
  if (platform === 'linux') return 'install one (apt-get install -y chromium)';
  if (platform === 'darwin') return 'install Google Chrome (https://www.google.com/chrome/)';
  return 'install Google Chrome (https://www.google.com/chrome/) or Microsoft Edge';
}

/**
 * The browser executable: `choice` a path (anything with a slash or backslash) or a family, else
 * CHROMIUM_PATH, else the first family of this OS's order found at a standard path. Throws naming every
 * path tried.
 */
export function findBrowser(choice?: string, host: BrowserHost = REAL_HOST): string {
  if (choice !== undefined && /[/\\]/.test(choice)) {
    if (host.exists(choice)) return choice;
    throw new Error(`--browser ${choice}: no such file`);
  }
  if (choice !== undefined && !(BROWSER_NAMES as readonly string[]).includes(choice))
    throw new Error(`--browser ${choice}: expected a path or one of ${BROWSER_NAMES.join(', ')}`);
  const fromEnv = choice === undefined ? host.env.CHROMIUM_PATH : undefined;
  const names = choice !== undefined ? [choice as BrowserName] : defaultOrder(host.platform);
  const tried = [...(fromEnv ? [fromEnv] : []), ...names.flatMap((n) => installPaths(n, host))];
  const found = tried.find((p) => host.exists(p));
  if (found) return found;
  const what = choice ?? 'Chrome, Chromium or Edge';
  throw new Error(
    `no ${what} found on ${host.platform} (tried ${tried.join(', ')}): ${installHint(host.platform)}, ` +
      `or name one with --browser PATH or CHROMIUM_PATH`,
  );
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--js-flags=--expose-gc', // lets the long-run test measure the heap after a collection
  '--enable-precise-memory-info', // performance.memory unrounded and not cached
];

/**
 * Headless Chromium on Linux gives WebGPU SwiftShader (the CPU) unless told to use the GPU (Chrome's
 * recipe for WebGPU in headless tests). Added only where the machine has a GPU device node, so a machine
 * without one (CI) runs exactly as before; CHROMIUM_GPU=0 leaves them out.
 */
export const LINUX_GPU_ARGS = [
  '--enable-features=Vulkan', // the GPU process on Vulkan: Dawn gets the GPU's Vulkan driver
  '--use-angle=vulkan', // ANGLE (the compositor's GL) on Vulkan too, not on SwiftShader's GL
  '--disable-vulkan-surface', // headless has no display: no VK_KHR_surface to ask for
  '--ignore-gpu-blocklist', // many server and VM GPUs are on the blocklist, which would disable WebGPU
];

/** Whether the Linux GPU switches apply: a DRM render node or NVIDIA's device file exists. */
export function wantsGpuArgs(host: BrowserHost = REAL_HOST): boolean {
  if (host.platform !== 'linux' || host.env.CHROMIUM_GPU === '0') return false;
  return ['/dev/dri/renderD128', '/dev/nvidia0'].some((p) => host.exists(p));
}

export function chromiumLaunchOptions(browser?: string): { executablePath: string; args: string[] } {
  const extra = process.env.CHROMIUM_FLAGS ? process.env.CHROMIUM_FLAGS.split(/\s+/).filter(Boolean) : [];
  const gpu = wantsGpuArgs() ? LINUX_GPU_ARGS : [];
  return { executablePath: findBrowser(browser), args: [...CHROMIUM_ARGS, ...gpu, ...extra] };
}

/** The browser found without a choice (CHROMIUM_PATH, else this OS's order). */
export const chromiumPath = (): string => findBrowser();
