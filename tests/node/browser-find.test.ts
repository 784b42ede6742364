// Browser discovery over each OS's layout: a fake file system holds one install, and findBrowser must
// find it at its standard path (the table is what Playwright's `channel` looks for), honour --browser
// and CHROMIUM_PATH, and name every path it tried when there is none.
import { describe, expect, it } from 'vitest';
import { findBrowser, wantsGpuArgs, type BrowserHost } from '../../src/cli/chromium.ts';

const WIN_ENV = {
  LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local',
  PROGRAMFILES: 'C:\\Program Files',
  'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
};

function host(platform: NodeJS.Platform, files: readonly string[], env: Record<string, string> = {}): BrowserHost {
  const set = new Set(files);
  return { platform, env, exists: (p) => set.has(p) };
}

interface Case {
  readonly os: NodeJS.Platform;
  readonly installed: string;
  readonly choice?: string;
  readonly env?: Record<string, string>;
}

const FOUND: Case[] = [
  { os: 'linux', installed: '/usr/bin/chromium' },
  { os: 'linux', installed: '/snap/bin/chromium' },
  { os: 'linux', installed: '/opt/google/chrome/chrome' },
  { os: 'linux', installed: '/usr/bin/google-chrome-stable', choice: 'chrome' },
  { os: 'linux', installed: '/opt/microsoft/msedge/msedge', choice: 'msedge' },
  { os: 'darwin', installed: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome' },
  {
    os: 'darwin',
    installed: '/Users/ada/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    env: { HOME: '/Users/ada' },
  },
  { os: 'darwin', installed: '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge' },
  { os: 'darwin', installed: '/Applications/Chromium.app/Contents/MacOS/Chromium', choice: 'chromium' },
  { os: 'win32', installed: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', env: WIN_ENV },
  { os: 'win32', installed: 'C:\\Users\\ada\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe', env: WIN_ENV },
  { os: 'win32', installed: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe', env: WIN_ENV },
  {
    os: 'win32',
    installed: 'C:\\Users\\ada\\AppData\\Local\\Chromium\\Application\\chrome.exe',
    choice: 'chromium',
    env: WIN_ENV,
  },
];

describe('findBrowser', () => {
  // Test that each OS's standard install of each family is found, with and without --browser naming it.
  it.each(FOUND)('finds $installed on $os (--browser $choice)', ({ os, installed, choice, env }) => {
    expect(findBrowser(choice, host(os, [installed], env))).toBe(installed);
  });

  // Test that Chromium comes first on Linux (CI's package) and Chrome first on macOS and Windows.
  it('prefers Chromium on Linux and Chrome elsewhere when several are installed', () => {
    expect(findBrowser(undefined, host('linux', ['/usr/bin/google-chrome', '/usr/bin/chromium']))).toBe(
      '/usr/bin/chromium',
    );
    const mac = [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    ];
    expect(findBrowser(undefined, host('darwin', mac))).toBe(mac[1]);
    const win = [
      'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    ];
    expect(findBrowser(undefined, host('win32', win, WIN_ENV))).toBe(win[1]);
  });

  // Test that CHROMIUM_PATH wins over the standard paths, and --browser PATH over both.
  it('takes CHROMIUM_PATH, and --browser PATH before it', () => {
    const h = host('linux', ['/usr/bin/chromium', '/opt/x/chrome', '/opt/y/chrome'], {
      CHROMIUM_PATH: '/opt/x/chrome',
    });
    expect(findBrowser(undefined, h)).toBe('/opt/x/chrome');
    expect(findBrowser('/opt/y/chrome', h)).toBe('/opt/y/chrome');
    expect(() => findBrowser('/opt/z/chrome', h)).toThrow('--browser /opt/z/chrome: no such file');
    expect(() => findBrowser('firefox', h)).toThrow('expected a path or one of chrome, chromium, msedge');
  });

  // Test that the error names the OS and every path tried there, and how to install one.
  it.each([
    ['linux', '/usr/bin/chromium-browser', 'apt-get install -y chromium'],
    ['darwin', '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge', 'install Google Chrome'],
    ['win32', 'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe', 'Microsoft Edge'],
  ] as const)('names what was tried on %s', (os, somePath, hint) => {
    const run = () => findBrowser(undefined, host(os, [], WIN_ENV));
    expect(run).toThrow(`no Chrome, Chromium or Edge found on ${os}`);
    expect(run).toThrow(somePath);
    expect(run).toThrow(hint);
  });

  // Test that the GPU switches apply on Linux with a GPU device node only, and CHROMIUM_GPU=0 turns them off.
  it('adds the Linux GPU switches only where a GPU device node exists', () => {
    expect(wantsGpuArgs(host('linux', []))).toBe(false);
    expect(wantsGpuArgs(host('linux', ['/dev/dri/renderD128']))).toBe(true);
    expect(wantsGpuArgs(host('linux', ['/dev/nvidia0'], { CHROMIUM_GPU: '0' }))).toBe(false);
    expect(wantsGpuArgs(host('darwin', ['/dev/dri/renderD128']))).toBe(false);
  });
});
