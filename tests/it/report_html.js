// Opens an HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core from the tests' npm dir, found through NODE_PATH) and prints one JSON document:
// every request, console message, page error and dialog, what the DOM shows (changed rows with
// their URL pairs and image states, the per-column table, the problems, the warnings), and the
// screenshots it took. The Rust test (report_html.rs) asserts on it.
//
// usage: node report_html.js REPORT.html OUT_DIR

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

async function main() {
  const [report, outDir] = process.argv.slice(2);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gm-report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    viewport: { width: 1280, height: 1500 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const out = { requests: [], failed: [], console: [], pageErrors: [], dialogs: [], screenshots: [] };
  context.on('request', (r) => out.requests.push(r.url()));
  context.on('requestfailed', (r) => out.failed.push({ url: r.url(), error: (r.failure() || {}).errorText }));
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => out.console.push({ type: m.type(), text: m.text(), url: m.location().url }));
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    out.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  const url = 'file://' + path.resolve(report);
  await page.goto(url, { waitUntil: 'load' });
  out.pageUrl = page.url();
  out.title = await page.title();
  await page.screenshot({ path: path.join(outDir, 'report-top.png') });
  out.screenshots.push(path.join(outDir, 'report-top.png'));

  // Scroll through the page so every lazy image is requested, then let them settle.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0; y < height; y += 1000) {
    await page.evaluate((y) => window.scrollTo(0, y), y);
    await page.waitForTimeout(30);
  }
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 20000 });
  // The changed rows, from the first one.
  await page.evaluate(() => document.querySelector('article.row').scrollIntoView());
  await page.screenshot({ path: path.join(outDir, 'report-rows.png') });
  out.screenshots.push(path.join(outDir, 'report-rows.png'));
  await page.evaluate(() => document.getElementById('left-alone').scrollIntoView());
  await page.screenshot({ path: path.join(outDir, 'report-left-alone.png') });
  out.screenshots.push(path.join(outDir, 'report-left-alone.png'));

  out.dom = await page.evaluate(() => {
    const text = (e) => (e ? e.textContent.trim() : null);
    const img = (td) => {
      const f = td.querySelector('figure');
      const i = td.querySelector('img');
      return {
        src: i ? i.src : null,
        alt: i ? i.alt : null,
        loaded: !!(i && i.complete && i.naturalWidth > 0),
        failed: !!(f && f.classList.contains('failed')),
        placeholderShown: !!(f && f.querySelector('.ph') && getComputedStyle(f.querySelector('.ph')).display !== 'none'),
        size: text(td.querySelector('.dim')),
        note: f && !i ? text(f) : null,
      };
    };
    return {
      verdict: text(document.querySelector('.verdict')),
      scripts: document.scripts.length,
      rows: [...document.querySelectorAll('article.row')].map((a) => ({
        table: text(a.querySelector('header .t')),
        id: text(a.querySelector('header code')),
        who: text(a.querySelector('header .who')),
        pairs: [...a.querySelectorAll('table.pairs tbody tr')].map((tr) => ({
          columns: text(tr.querySelector('td.cols')),
          old: text(tr.querySelector('td.old code.url')),
          new: text(tr.querySelector('td.new code.url')),
          oldImg: img(tr.querySelector('td.old')),
          newImg: img(tr.querySelector('td.new')),
        })),
      })),
      columns: [...document.querySelectorAll('table.columns tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim())),
      problems: [...document.querySelectorAll('table.problems tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim())),
      warnings: [...document.querySelectorAll('ul.warnings li')].map((li) => li.textContent.trim()),
      cap: text(document.querySelector('.cap')),
      images: [...document.images].map((i) => i.src),
    };
  });
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
