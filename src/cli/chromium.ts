import { existsSync } from 'node:fs';

// Chromium for WebGPU work: Debian's build (no browser can be downloaded here), flags that enable
// WebGPU and keep it off the network. CHROMIUM_PATH overrides the executable.
export function chromiumPath(): string {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error('no Chromium found: install it (apt-get install -y chromium) or set CHROMIUM_PATH');
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

export function chromiumLaunchOptions(): { executablePath: string; args: string[] } {
  const extra = process.env.CHROMIUM_FLAGS ? process.env.CHROMIUM_FLAGS.split(/\s+/).filter(Boolean) : [];
  return { executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...extra] };
}
