/**
 * Opens every HTML report in load-tests/results/ (or the files given) in headless Debian chromium and
 * prints each one's console errors, page errors and failed requests; exit 1 when any has one.
 * `node --import tsx load-tests/bench/open-reports.ts [file.html ...]`
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, pageProblems } from '../../src/testing/browser.ts';
import { projectRoot } from '../lib/processes.ts';

const dir = join(projectRoot, 'load-tests/results');
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(dir)
        .filter((f) => f.endsWith('.html'))
        .map((f) => join(dir, f));
const browser = await launchChromium();
let bad = 0;
try {
  for (const file of files) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems = pageProblems(tab, { warnings: true });
    await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const title = await tab.title();
    await context.close();
    if (problems.length > 0) bad++;
    console.log(
      `${problems.length === 0 ? 'ok  ' : 'FAIL'} ${file} (${title})${problems.map((p) => `\n  ${p}`).join('')}`,
    );
  }
} finally {
  await browser.close();
}
process.exit(bad === 0 ? 0 : 1);
