import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { App } from '../http/app.ts';
import { closeServer, listen } from '../http/server.ts';

/** Debian's chromium (installed by .ci/run); playwright-core never downloads a browser. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Headless chromium; tests pass the suite's path (test-env.config.ts), tools take Debian's. */
export function launchChromium(executablePath = DEBIAN_CHROMIUM): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Where tests leave screenshots (git-ignored). */
export function testOutput(name: string): string {
  const dir = new URL('../../test-results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return `${dir}${name}`;
}

/** Serves an app on a free loopback port, for a browser to load. */
export async function serveOnLoopback(app: App): Promise<{ url: string; close: () => Promise<void> }> {
  const limits = { maxConnections: 1_000, requestTimeoutMs: 10_000, headersTimeoutMs: 5_000 };
  const { server, port } = await listen(app, 0, limits);
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server as Server, Date.now() + 2_000) };
}

/** Console errors (and warnings, when asked), uncaught exceptions and failed requests of a page, as lines. */
export function pageProblems(page: Page, opts: { warnings?: boolean } = {}): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || (opts.warnings && m.type() === 'warning'))
      problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`exception: ${err.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`answer ${r.status()}: ${r.url()}`);
  });
  return problems;
}
