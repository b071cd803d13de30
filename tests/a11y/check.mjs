// Browser checks of a built portal, as a visitor meets it: Debian's
// Chromium, a phone-sized and a desktop window. The portal ships no
// JavaScript (checked: no executable <script>), so it works with it off;
// the test injects axe-core itself.
//
//   node check.mjs BASE_URL PATH...
//
// For every path it prints "pass DESC" / "fail DESC" lines:
//  - axe-core finds no WCAG 2.0/2.1 A or AA violation, nor a best-practice one
//    (heading order, landmarks, regions);
//  - no request goes to another host, and no cookie is set;
//  - the first Tab reaches the skip link, which leads to <main>;
//  - at 320 px nothing scrolls sideways.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [base, ...paths] = process.argv.slice(2);
const origin = new URL(base).origin;
const results = [];
const check = (ok, desc, detail = '') => results.push(`${ok ? 'pass' : 'fail'} ${desc}${ok || !detail ? '' : ': ' + detail}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  for (const [label, viewport] of [['phone', { width: 320, height: 640 }], ['desktop', { width: 1280, height: 900 }]]) {
    const context = await browser.newContext({ viewport });
    const foreign = [];
    context.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    for (const path of paths) {
      const page = await context.newPage();
      const resp = await page.goto(base + path, { waitUntil: 'load' });
      const what = `${path} (${label})`;
      check(resp && (resp.status() === 200 || path.endsWith('404.html')), `${what}: loads`, String(resp && resp.status()));
      const scripts = await page.evaluate(() => [...document.scripts].filter((s) => s.type !== 'application/ld+json').length);
      check(scripts === 0, `${what}: no JavaScript on the page`, `${scripts} scripts`);
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
        return r.violations.map((v) => v.id + ' ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | '));
      });
      check(violations.length === 0, `${what}: no WCAG 2.1 AA or best-practice violations (axe-core)`, violations.join('; '));
      if (label === 'phone') {
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        check(w <= 320, `${what}: nothing scrolls sideways at 320 px`, `scrollWidth ${w}`);
      } else {
        await page.keyboard.press('Tab');
        const f = await page.evaluate(() => document.activeElement && document.activeElement.className + '|' + document.activeElement.getAttribute('href'));
        check(f === 'skip|#tresc', `${what}: the first Tab reaches the skip link`, f);
        const m = await page.evaluate(() => !!document.querySelector('main#tresc'));
        check(m === true, `${what}: the skip link's target is <main>`);
      }
      await page.close();
    }
    check(foreign.length === 0, `${label}: no request to another host`, foreign.slice(0, 5).join(', '));
    const cookies = await context.cookies();
    check(cookies.length === 0, `${label}: no cookie is set`, cookies.map((c) => c.name).join(', '));
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(results.join('\n'));
process.exit(results.some((r) => r.startsWith('fail')) ? 1 : 0);
