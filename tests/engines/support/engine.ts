// The fixtures of the Firefox and WebKit pass: one WebDriver server per worker (geckodriver, or
// WebKitWebDriver on a virtual display), started here and stopped at the end, and a fresh browser
// session per test, so each test starts with empty storage. Nothing here downloads a driver or a
// browser: the paths are the ones `cargo xtask setup` installs.
import { test as base, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { remote } from 'webdriverio';
import { Lab } from './lab';

export type Engine = 'firefox' | 'webkit';
export type EngineOptions = { engine: Engine };

/** A running WebDriver server, and the folder its browser saves downloads in. */
type Driver = { port: number; downloads: string };

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the engine's WebDriver server and waits until it answers. */
async function startDriver(engine: Engine): Promise<Driver & { stop: () => void }> {
  const port = await freePort();
  const downloads = mkdtempSync(join(tmpdir(), `foldlab-${engine}-downloads-`));
  // WebKitGTK saves downloads in the XDG download folder (the home folder when there is none).
  const xdgConfig = mkdtempSync(join(tmpdir(), 'foldlab-webkit-xdg-'));
  writeFileSync(join(xdgConfig, 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
  // geckodriver by its full path: WebdriverIO's npm dependencies put a downloading shim of the
  // same name in node_modules/.bin.
  const geckodriver = process.env.FOLDLAB_GECKODRIVER ?? join(homedir(), '.cargo', 'bin', 'geckodriver');
  const [program, args] =
    engine === 'firefox'
      ? [geckodriver, ['--host', '127.0.0.1', '--port', String(port)]]
      : ['/usr/bin/xvfb-run', ['-a', '-s', '-screen 0 1280x900x24', '/usr/bin/WebKitWebDriver', `--port=${port}`]];
  // Its own process group, so that stopping it stops Xvfb and the browser too.
  const env = { ...process.env, XDG_CONFIG_HOME: xdgConfig };
  const child = spawn(program, args, { stdio: 'ignore', detached: true, env });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // Already gone.
    }
    for (const dir of [downloads, xdgConfig]) rmSync(dir, { recursive: true, force: true });
  };
  for (let waited = 0; waited < 30_000; waited += 200) {
    if (child.exitCode !== null) throw new Error(`${program} exited with ${child.exitCode}`);
    try {
      const status = await fetch(`http://127.0.0.1:${port}/status`);
      if (status.ok) return { port, downloads, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error(`${program} did not answer on port ${port} within 30 s`);
}

/** The engine's capabilities (tests/engines/<engine>.json), Firefox's with where to save downloads. */
function capabilities(engine: Engine, downloads: string): WebdriverIO.Capabilities {
  const caps = JSON.parse(readFileSync(join(__dirname, '..', `${engine}.json`), 'utf8'));
  if (engine === 'firefox') {
    caps['moz:firefoxOptions'].prefs = {
      'browser.download.folderList': 2,
      'browser.download.dir': downloads,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
    };
  }
  // WebDriver BiDi where the driver speaks it (geckodriver does; WebKitWebDriver 2.50 refuses a
  // session that asks for it), for the console.
  return engine === 'firefox' ? caps : { ...caps, 'wdio:enforceWebDriverClassic': true };
}

/** The worker's WebDriver server, which a test can have started again (see `session`). */
type Drivers = { current: Driver & { stop: () => void }; restart(): Promise<void> };

/** `work`, or an error after `ms`; a late failure of `work` is then ignored. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  work.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing after ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export const test = base.extend<{ session: WebdriverIO.Browser; lab: Lab }, EngineOptions & { driver: Drivers }>({
  engine: ['firefox', { option: true, scope: 'worker' }],
  driver: [
    async ({ engine }, use) => {
      const driver: Drivers = {
        current: await startDriver(engine),
        async restart() {
          this.current.stop();
          this.current = await startDriver(engine);
        },
      };
      await use(driver);
      driver.current.stop();
    },
    { scope: 'worker' },
  ],
  session: async ({ engine, driver }, use) => {
    const open = () =>
      remote({
        hostname: '127.0.0.1',
        port: driver.current.port,
        path: '/',
        // Errors reach the test as exceptions; the client's own log repeated each failed poll.
        logLevel: 'silent',
        capabilities: capabilities(engine, driver.current.downloads),
      });
    // WebKitWebDriver once dropped the connection while it started the browser, and the session
    // never came (one run in 35, with the machine busy). A session takes a second or two: after
    // 30 s the driver is started again, once. Only the browser's start is retried, never a test.
    let session: WebdriverIO.Browser;
    try {
      session = await within(30_000, open());
    } catch (error) {
      console.warn(`${engine}: no session (${(error as Error).message}); starting the driver again`);
      await driver.restart();
      session = await open();
    }
    await session.setWindowSize(1280, 800);
    // What the page logs as an error fails the test, as in the Chromium specs. Only over BiDi:
    // WebDriver classic cannot read the console, so WebKit's is not checked.
    const errors: string[] = [];
    // One line is not the page's: Firefox logs a fetch its service worker was answering as failed
    // when the page that asked went away meanwhile (a navigation leaves a part the lab was fetching
    // in the background). Whatever the worker answers, a request without its page fails that way.
    // Such a line is set aside only while a navigation is under way, and its file must then be
    // there: the server is asked for it at the end.
    const navigations: [number, number][] = [];
    const navigating = (at: number) => navigations.some(([start, end]) => at >= start - 50 && at <= end + 50);
    // Decided at the end, when every navigation's window is known.
    const failedLoads: { file: string; text: string; at: number }[] = [];
    for (const name of ['url', 'refresh'] as const) {
      session.overwriteCommand(name, async function (this: unknown, original: (...args: unknown[]) => Promise<unknown>, ...args: unknown[]) {
        const start = Date.now();
        try {
          return await original(...args);
        } finally {
          navigations.push([start, Date.now()]);
        }
      } as never);
    }
    if (session.isBidi) {
      session.on('log.entryAdded', (entry) => {
        if (entry.level !== 'error') return;
        const text = entry.text ?? '';
        const file = /^Failed to load ‘(http[^’]+)’\. A ServiceWorker intercepted the request and encountered an unexpected error\.$/.exec(text)?.[1];
        if (file) failedLoads.push({ file, text, at: entry.timestamp });
        else errors.push(text);
      });
      await session.sessionSubscribe({ events: ['log.entryAdded'] });
    }
    await use(session);
    await session.deleteSession();
    const leftBehind = new Set<string>();
    for (const { file, text, at } of failedLoads) {
      if (navigating(at)) leftBehind.add(file);
      else errors.push(text);
    }
    expect(errors, 'errors in the console').toEqual([]);
    for (const file of leftBehind) expect((await fetch(file)).status, `${file}, left behind by a navigation, is served`).toBe(200);
  },
  lab: async ({ session, baseURL }, use) => {
    await use(new Lab(session, baseURL!));
  },
});

export { expect } from '@playwright/test';
