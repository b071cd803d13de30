// A visitor's and a learner's journey through a running portal, as a person
// clicks it: Debian's Chromium driven by playwright-core, links and buttons
// found by their text, fields by their labels (getByRole, getByLabel); no
// URL is typed but the portal's address, and the link from an e-mail.
//
//   node journey.mjs BASE_URL MAILDIR ANSWERS.json PAGES_DIR SHOTS_DIR
//
// BASE_URL is nginx with the shipped configuration in front of formd
// (tests/integration/journey.sh starts both); MAILDIR is where
// tests/smtp_sink.py keeps formd's e-mails; ANSWERS.json is
// {"title": test title, "questions": [{"text", "answers", "correct"}]} of
// the course taken, from its test.toml (the learner who has studied knows
// them). The journey runs twice, with JavaScript on and off (the browser
// context's javaScriptEnabled); each step prints "pass DESC" or "fail DESC".
// In the first run every kind of page met is checked with axe-core (WCAG
// 2.1 A/AA and best-practice rules, as check.mjs does), its HTML is saved
// to PAGES_DIR/NN-KIND.html for the Nu HTML Checker, and the main pages are
// photographed at 360 and 1280 px wide into SHOTS_DIR.
import { chromium } from 'playwright-core';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [base, maildir, answersFile, pagesDir, shotsDir] = process.argv.slice(2);
const key = JSON.parse(readFileSync(answersFile, 'utf8'));
const origin = new URL(base).origin;
const TIMEOUT = 10000;
let failed = 0;

function check(ok, desc, detail = '') {
  if (!ok) failed++;
  console.log(`${ok ? 'pass' : 'fail'} ${desc}${ok || !detail ? '' : ': ' + String(detail).split('\n')[0].slice(0, 300)}`);
}

// step DESC FN: runs FN; a pass when it returns true (or nothing) and
// throws nothing. Returns FN's value, or null when it threw.
async function step(desc, fn) {
  try {
    const r = await fn();
    check(r !== false, desc, r === false ? 'not as expected' : '');
    return r;
  } catch (e) {
    check(false, desc, e.message);
    return null;
  }
}

// the text of the page's <h1> (waits for it)
async function h1(page) {
  return (await page.getByRole('heading', { level: 1 }).first().textContent({ timeout: TIMEOUT })).trim();
}

// expectH1 PAGE TEXT: the page's heading is TEXT (or matches the RegExp)
async function expectH1(page, text) {
  const got = await h1(page);
  const ok = text instanceof RegExp ? text.test(got) : got === text;
  if (!ok) throw new Error(`the heading is "${got}", not ${text} (at ${page.url()})`);
  return true;
}

// expectText PAGE TEXT: TEXT is visible somewhere on the page
async function expectText(page, text) {
  await page.getByText(text).first().waitFor({ state: 'visible', timeout: TIMEOUT });
  return true;
}

async function clickAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: TIMEOUT }), locator.click({ timeout: TIMEOUT })]);
}
const link = (scope, name) => scope.getByRole('link', { name, exact: true });
const button = (scope, name) => scope.getByRole('button', { name, exact: true });
const menu = (page) => page.getByRole('navigation', { name: 'Menu główne' });
const footer = (page) => page.getByRole('contentinfo');

// ---- the checks of each kind of page (first run only) ----------------------------
let looking = false;
let pageNo = 0;
const kindsSeen = [];
async function look(page, kind, { shot = false } = {}) {
  if (!looking) return;
  pageNo++;
  const name = String(pageNo).padStart(2, '0') + '-' + kind.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');
  kindsSeen.push(kind);
  await step(`${kind}: no WCAG 2.1 AA or best-practice violations (axe-core)`, async () => {
    await page.evaluate(axeSource);
    const v = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
      return r.violations.map((x) => x.id + ' ' + x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | '));
    });
    if (v.length) throw new Error(v.join('; '));
  });
  // the HTML as the server sent it (the DOM is the same: no script runs)
  await step(`${kind}: its HTML is kept for the Nu HTML Checker (${name}.html)`, async () => {
    const html = await page.content();
    writeFileSync(join(pagesDir, name + '.html'), html);
    return html.length > 500;
  });
  if (shot) {
    await step(`${kind}: photographed at 360 and 1280 px (${name}-360.png, ${name}-1280.png)`, async () => {
      await page.setViewportSize({ width: 360, height: 800 });
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      // a word of a heading or a table's heading cell split across two lines
      const split = await page.evaluate(() => {
        const bad = [];
        for (const el of document.querySelectorAll('th, h1, h2, h3')) {
          const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          for (let t = walk.nextNode(); t; t = walk.nextNode()) {
            for (const m of t.data.matchAll(/\S+/g)) {
              const r = document.createRange();
              r.setStart(t, m.index);
              r.setEnd(t, m.index + m[0].length);
              const lines = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
              if (lines.size > 1) bad.push(m[0]);
            }
          }
        }
        return bad;
      });
      await page.screenshot({ path: join(shotsDir, name + '-360.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: join(shotsDir, name + '-1280.png'), fullPage: true });
      if (w > 360) throw new Error(`at 360 px the page is ${w} px wide: it scrolls sideways`);
      if (split.length) throw new Error(`at 360 px words of headings are split across lines: ${split.join(', ')}`);
    });
  }
}

// ---- e-mail from the SMTP sink ------------------------------------------------------
function decodeQP(s) {
  const bytes = Buffer.from(s.replace(/=\r?\n/g, ''), 'latin1').toString('latin1')
    .replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
// the link to PATH in the newest e-mail to TO (waits up to 20 s)
async function mailLink(to, path) {
  const end = Date.now() + 20000;
  const want = new RegExp('https?://[^\\s/]+' + path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\?t=[A-Za-z0-9_-]+');
  while (Date.now() < end) {
    for (const f of readdirSync(maildir).filter((n) => n.endsWith('.eml')).sort().reverse()) {
      const raw = readFileSync(join(maildir, f), 'latin1');
      const cut = raw.search(/\r?\n\r?\n/);
      const head = raw.slice(0, cut);
      if (!new RegExp('^To:\\s*<?' + to.replace(/[.+]/g, '\\$&') + '>?\\s*$', 'mi').test(head)) continue;
      const m = decodeQP(raw.slice(cut)).match(want);
      if (m) return m[0];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no e-mail to ${to} with a link to ${path}`);
}

// ---- the journey --------------------------------------------------------------------
async function journey(browser, js) {
  const tag = js ? 'JavaScript on' : 'JavaScript off';
  const who = js ? { first: 'Anna', last: 'Wędrowna', email: 'anna.wedrowna@example.pl' }
    : { first: 'Bogdan', last: 'Bezskryptowy', email: 'bogdan.bez@example.pl' };
  const password = 'cztery słowa idą razem ' + (js ? 'rano' : 'wieczorem');
  const T = (d) => `[${tag}] ${d}`;
  const context = await browser.newContext({ javaScriptEnabled: js, ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1280, height: 900 }, locale: 'pl-PL' });
  context.setDefaultTimeout(TIMEOUT);
  const foreign = [];
  context.on('request', (r) => { if (!r.url().startsWith(origin)) foreign.push(r.url()); });
  const page = await context.newPage();

  if (!js) {
    await step(T('scripts really do not run in this context'), async () => {
      await page.setContent('<title>x</title><script>document.title = "js"</script>');
      return (await page.title()) === 'x';
    });
  }

  // a visitor reads
  await step(T('the home page: its heading'), async () => {
    await page.goto(base + '/', { waitUntil: 'load' });
    return expectH1(page, 'Kompetencje dla pracy');
  });
  await look(page, 'home page', { shot: true });
  await step(T('no cookie before logging in'), async () => (await context.cookies()).length === 0);
  await step(T('the footer leads to the privacy policy'), async () => {
    await clickAndWait(page, link(footer(page), 'Polityka prywatności i plików cookies'));
    return expectH1(page, /Polityka prywatności/);
  });
  await look(page, 'document page (the privacy policy)', { shot: true });
  await step(T('...and to the rights instructions'), async () => {
    await clickAndWait(page, link(footer(page), 'Instrukcja realizacji praw'));
    return expectH1(page, /realizacji praw/i);
  });
  await step(T('the menu leads to the offices, and on to an office page'), async () => {
    await clickAndWait(page, link(menu(page), 'Urzędy i kontakt'));
    await expectH1(page, 'Urzędy i kontakt');
    await look(page, 'section page (the offices)');
    await clickAndWait(page, link(page.getByRole('main'), 'Powiatowy Urząd Pracy w Zielonej Górze – Filia w Sulechowie').first());
    await expectH1(page, 'Powiatowy Urząd Pracy w Zielonej Górze – Filia w Sulechowie');
    return expectText(page, 'sulechow@pup.zgora.pl');
  });
  await look(page, 'office page', { shot: true });

  // registration: empty first, then filled in
  await step(T('"Załóż konto" in the menu opens the registration form'), async () => {
    await clickAndWait(page, link(menu(page), 'Załóż konto'));
    return expectH1(page, 'Załóż konto');
  });
  await look(page, 'registration form');
  await step(T('the registration form sent empty comes back with its errors'), async () => {
    await clickAndWait(page, button(page.getByRole('main'), 'Załóż konto'));
    await expectText(page, 'Formularz zawiera błędy');
    return (await page.locator('.field-error').count()) >= 5;
  });
  await look(page, 'registration form with errors', { shot: true });
  await step(T('a person registers, typing into the labelled fields'), async () => {
    await page.getByLabel(/^Imię/).fill(who.first);
    await page.getByLabel(/^Nazwisko/).fill(who.last);
    await page.getByLabel(/^Adres e-mail/).fill(who.email);
    await page.getByRole('radio', { name: 'osoba bezrobotna' }).check();
    await page.getByLabel(/^Urząd lub filia/).selectOption({ label: 'Powiatowy Urząd Pracy w Zielonej Górze – Filia w Sulechowie' });
    await page.getByLabel(/^Hasło/).fill(password);
    await page.getByLabel(/^Powtórz hasło/).fill(password);
    await page.getByRole('checkbox', { name: /regulamin/ }).check();
    await page.getByRole('checkbox', { name: /polityką prywatności/ }).check();
    await clickAndWait(page, button(page.getByRole('main'), 'Załóż konto'));
    await expectH1(page, 'Sprawdź skrzynkę e-mail');
    return (await page.getByText('Zalogowano:').count()) === 0 && (await context.cookies()).length === 0;
  });
  await look(page, 'message page (registration sent)');
  await step(T('the e-mail\'s link opens a page with a button; pressing it activates the account and logs in'), async () => {
    const url = await mailLink(who.email, '/konto/rejestracja/potwierdz');
    if (!url.startsWith(origin + '/')) throw new Error(`the link ${url} is not the portal's address`);
    await page.goto(url, { waitUntil: 'load' });
    await look(page, 'account activation page');
    const b = page.getByRole('main').getByRole('button');
    if ((await b.count()) !== 1) throw new Error('no single button to press');
    await clickAndWait(page, b);
    await expectH1(page, 'Witamy w portalu');
    return expectText(page, `Zalogowano: ${who.first}`);
  });
  await look(page, 'message page (welcome)');
  await step(T('...logged in with one cookie, HttpOnly and Secure'), async () => {
    const c = await context.cookies();
    return c.length === 1 && c[0].httpOnly && c[0].secure;
  });
  await step(T('"Wyloguj się" logs out'), async () => {
    await clickAndWait(page, button(page, 'Wyloguj się'));
    return (await page.getByText('Zalogowano:').count()) === 0 && (await context.cookies()).length === 0;
  });

  // logging in: a wrong password, then the right one
  await step(T('"Zaloguj się" opens the login form'), async () => {
    await clickAndWait(page, link(menu(page), 'Zaloguj się'));
    return expectH1(page, 'Zaloguj się');
  });
  await look(page, 'login form');
  await step(T('a wrong password is refused, the address kept'), async () => {
    await page.getByLabel(/^Adres e-mail/).fill(who.email);
    await page.getByLabel(/^Hasło/).fill('to nie jest moje hasło');
    await clickAndWait(page, button(page.getByRole('main'), 'Zaloguj się'));
    await expectText(page, 'Formularz zawiera błędy');
    return (await page.getByLabel(/^Adres e-mail/).inputValue()) === who.email &&
      (await page.getByLabel(/^Hasło/).inputValue()) === '';
  });
  await look(page, 'login form with errors');
  await step(T('the right password logs in: the page says so'), async () => {
    await page.getByLabel(/^Hasło/).fill(password);
    await clickAndWait(page, button(page.getByRole('main'), 'Zaloguj się'));
    await expectText(page, 'Jesteś zalogowany(-a).');
    return expectText(page, `Zalogowano: ${who.first}`);
  });

  // a lesson, then the test: failed, then passed
  const course = key.course_title;
  await step(T(`the courses, the course "${course}", its first lesson`), async () => {
    await clickAndWait(page, link(menu(page), 'Kursy'));
    await expectH1(page, 'Kursy');
    await look(page, 'section page (the courses)');
    await clickAndWait(page, link(page.getByRole('main'), course));
    await expectH1(page, course);
    await look(page, 'course page', { shot: true });
    await clickAndWait(page, link(page.getByRole('region', { name: 'Lekcje kursu' }), key.first_lesson));
    return expectH1(page, key.first_lesson);
  });
  await look(page, 'lesson', { shot: true });
  // ticks the right (or wrong) answers, leaving the first `skip` questions
  // unanswered, and sends them
  const answerTest = async (right, skip = 0) => {
    for (const q of key.questions.slice(skip)) {
      const group = page.getByRole('group', { name: q.text, exact: false });
      for (const a of q.answers) {
        const box = group.getByLabel(a, { exact: true });
        const tick = right ? q.correct.includes(a) : !q.correct.includes(a);
        if (tick && (q.multiple || !(await box.isChecked()))) await box.check();
        if (!tick && q.multiple && (await box.isChecked())) await box.uncheck();
      }
    }
    await clickAndWait(page, button(page.getByRole('main'), 'Wyślij odpowiedzi'));
  };
  await step(T('from the lesson back to the course, and on to its test'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Wróć do strony kursu'));
    await clickAndWait(page, link(page.getByRole('main'), 'Przejdź do testu wiedzy'));
    return expectH1(page, key.title);
  });
  await look(page, 'test form');
  const first = key.questions[0];
  await step(T('a question left unanswered: the test comes back, answers kept, the question marked'), async () => {
    await answerTest(false, 1);
    await expectText(page, 'Nie wszystkie pytania mają odpowiedź');
    await expectText(page, 'Nie zaznaczono odpowiedzi na to pytanie.');
    const second = key.questions[1];
    const kept = second.answers.find((a) => !second.correct.includes(a));
    if (!(await page.getByRole('group', { name: second.text, exact: false }).getByLabel(kept, { exact: true }).isChecked()))
      throw new Error('the answers given were not kept');
    // the summary's link leads to the question
    const toFirst = page.getByRole('alert').getByRole('link', { name: /^Pytanie 1:/ });
    if ((await toFirst.getAttribute('href')) !== '#' + 'q1') throw new Error('the summary does not link the question');
    return (await page.getByRole('group', { name: first.text, exact: false }).getByRole('radio', { checked: true }).count()) +
      (await page.getByRole('group', { name: first.text, exact: false }).getByRole('checkbox', { checked: true }).count()) === 0;
  });
  await look(page, 'test with an unanswered question', { shot: true });
  let resultUrl = '';
  await step(T('"Wyślij mimo to" stores it: failed, the unanswered question among the wrong ones'), async () => {
    await clickAndWait(page, button(page.getByRole('main'), 'Wyślij mimo to'));
    await expectText(page, 'Tym razem test nie został zaliczony.');
    await expectText(page, 'Pytania z błędną odpowiedzią');
    await page.getByRole('main').getByRole('link', { name: 'Pytanie 1', exact: true }).waitFor({ timeout: TIMEOUT });
    resultUrl = page.url();
    if (!/\/wynik\/[0-9]+$/.test(new URL(resultUrl).pathname)) throw new Error(`the result is at ${resultUrl}, not a page of its own`);
    return expectText(page, 'Pozostałe podejścia: 2.');
  });
  await look(page, 'test result (failed)', { shot: true });
  await step(T('reloading the result page twice only shows it: no attempt is used'), async () => {
    for (let i = 0; i < 2; i++) await page.reload({ waitUntil: 'load', timeout: TIMEOUT });
    if (page.url() !== resultUrl) throw new Error(`the reload went to ${page.url()}`);
    await expectText(page, 'Tym razem test nie został zaliczony.');
    return expectText(page, 'Pozostałe podejścia: 2.');
  });
  let certUrl = null;
  await step(T('"Spróbuj jeszcze raz", the right answers: passed, with a certificate'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Spróbuj jeszcze raz'));
    await expectH1(page, key.title);
    await answerTest(true);
    await expectText(page, 'Gratulacje! Test zaliczony.');
    if ((await page.getByText('Pytania z błędną odpowiedzią').count()) !== 0) throw new Error('at 100 % the wrong-answers heading is shown');
    return expectText(page, 'Twój certyfikat ma kod');
  });
  await look(page, 'test result (passed)');
  const code = await step(T('"Otwórz certyfikat" shows the certificate with the name and the course'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Otwórz certyfikat'));
    await expectH1(page, 'Certyfikat ukończenia kursu');
    await expectText(page, `${who.first} ${who.last}`);
    await expectText(page, `„${course}”`);
    certUrl = page.url();
    return (await page.locator('.certificate dd code').textContent()).trim();
  });
  await look(page, 'certificate', { shot: true });
  await step(T('"Wersja do druku": the certificate alone, its address and QR code, no account line'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Wersja do druku'));
    await expectH1(page, 'Certyfikat ukończenia kursu');
    await expectText(page, `${who.first} ${who.last}`);
    await expectText(page, new URL(certUrl).pathname);
    const text = (await page.getByRole('main').textContent()).replace(/\s+/g, ' ');
    if (!text.includes(`ukończył(a) kurs „${course}” i zaliczył(a) test wiedzy.`)) throw new Error('the sentence is not there');
    if ((await page.getByText('Zalogowano:').count()) !== 0) throw new Error('the print view shows who is logged in');
    if ((await page.getByRole('img', { name: /Kod QR/ }).count()) !== 1) throw new Error('no QR code');
    return (await page.locator('script, img, .site-header, .site-footer').count()) === 0;
  });
  await look(page, 'certificate print view', { shot: true });
  await step(T('...and "Wróć do certyfikatu" leads back'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Wróć do certyfikatu'));
    return page.url() === certUrl;
  });

  // a stranger checks it, without cookies
  await step(T('a stranger (no cookies) checks the code with the form on "Sprawdź certyfikat"'), async () => {
    const stranger = await browser.newContext({ javaScriptEnabled: js, ignoreHTTPSErrors: true });
    try {
      const p = await stranger.newPage();
      p.setDefaultTimeout(TIMEOUT);
      await p.goto(base + '/', { waitUntil: 'load' });
      await clickAndWait(p, link(footer(p), 'Sprawdź certyfikat'));
      await expectH1(p, 'Sprawdź certyfikat');
      await look(p, 'certificate check form');
      await p.getByLabel('Kod certyfikatu').fill(String(code).toLowerCase().replace(/-/g, ''));
      await clickAndWait(p, button(p.getByRole('main'), 'Sprawdź certyfikat'));
      await expectH1(p, 'Certyfikat ukończenia kursu');
      await expectText(p, `${who.first} ${who.last}`);
      await expectText(p, `„${course}”`);
      const shown = (await p.locator('.certificate dd code').textContent()).trim();
      if (shown !== code) throw new Error(`the certificate shown has the code ${shown}, not ${code}`);
      if ((await p.getByText('Zalogowano:').count()) !== 0) throw new Error('the stranger is shown as logged in');
      return (await stranger.cookies()).length === 0;
    } finally {
      await stranger.close();
    }
  });
  await step(T('...and a made-up code is not a certificate'), async () => {
    const stranger = await browser.newContext({ javaScriptEnabled: js, ignoreHTTPSErrors: true });
    try {
      const p = await stranger.newPage();
      p.setDefaultTimeout(TIMEOUT);
      await p.goto(base + '/', { waitUntil: 'load' });
      await clickAndWait(p, link(footer(p), 'Sprawdź certyfikat'));
      await p.getByLabel('Kod certyfikatu').fill('ABCD-EFGH-JKMN-PQRS');
      await clickAndWait(p, button(p.getByRole('main'), 'Sprawdź certyfikat'));
      await look(p, 'certificate check: no such certificate');
      return (await p.getByText(`${who.first} ${who.last}`).count()) === 0 && (await h1(p)) !== 'Certyfikat ukończenia kursu';
    } finally {
      await stranger.close();
    }
  });

  // the course forum: a new thread, seen on its page
  const title = `Pytanie o lekcję 1 (${tag})`;
  const body = `Czy parafraza to to samo co streszczenie? Pytam ${js ? 'rano' : 'wieczorem'}.`;
  await step(T('the course page leads to its forum'), async () => {
    await clickAndWait(page, link(menu(page), 'Kursy'));
    await clickAndWait(page, link(page.getByRole('main'), course));
    await clickAndWait(page, link(page.getByRole('main'), 'Przejdź do forum kursu'));
    return expectH1(page, /^Forum/);
  });
  await look(page, 'forum index', { shot: true });
  await step(T('a thread sent without a title comes back with the error'), async () => {
    await page.getByLabel(/^Treść wpisu/).fill(body);
    await clickAndWait(page, button(page.getByRole('main'), 'Załóż wątek'));
    await expectText(page, 'Formularz zawiera błędy');
    return (await page.getByLabel(/^Treść wpisu/).inputValue()) === body;
  });
  await look(page, 'forum form with errors');
  await step(T('a new thread, with the title: its page shows the post, signed'), async () => {
    await page.getByLabel(/^Tytuł wątku/).fill(title);
    await clickAndWait(page, button(page.getByRole('main'), 'Wyślij wpis'));
    await expectH1(page, title);
    await expectText(page, body);
    return expectText(page, `${who.first} ${who.last[0]}.`);
  });
  await look(page, 'forum thread', { shot: true });
  await step(T('...and the forum index lists it'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Wróć do listy wątków'));
    return (await link(page.getByRole('main'), title).count()) === 1;
  });

  // a contact message
  await step(T('the contact form, from "Urzędy i kontakt"'), async () => {
    await clickAndWait(page, link(menu(page), 'Urzędy i kontakt'));
    await clickAndWait(page, link(page.getByRole('main'), 'Wyślij wiadomość przez formularz kontaktowy'));
    return expectH1(page, 'Formularz kontaktowy');
  });
  await look(page, 'contact form');
  await step(T('an empty contact message comes back with its errors'), async () => {
    await clickAndWait(page, button(page.getByRole('main'), 'Wyślij wiadomość'));
    await expectText(page, 'Formularz zawiera błędy');
    return (await page.locator('.field-error').count()) >= 3;
  });
  await look(page, 'contact form with errors');
  await step(T('a contact message is sent: the thank-you page'), async () => {
    await page.getByLabel(/^Imię i nazwisko/).fill(`${who.first} ${who.last}`);
    await page.getByLabel(/^Adres e-mail/).fill(who.email);
    await page.getByLabel(/^Temat/).fill('Godziny otwarcia filii');
    await page.getByLabel(/^Urząd, którego dotyczy sprawa/).selectOption({ label: 'Powiatowy Urząd Pracy w Zielonej Górze – Filia w Sulechowie' });
    await page.getByLabel(/^Treść wiadomości/).fill('Dzień dobry, czy filia jest otwarta w soboty?');
    await clickAndWait(page, button(page.getByRole('main'), 'Wyślij wiadomość'));
    await expectText(page, /wiadomo/i);
    return (await page.getByText('Formularz zawiera błędy').count()) === 0;
  });
  await look(page, 'message page (contact thanks)');

  // a data-protection request, confirmed from the e-mail
  await step(T('"Ochrona danych" in the menu opens the request form'), async () => {
    await clickAndWait(page, link(menu(page), 'Ochrona danych'));
    return expectH1(page, /^Wniosek o realizację prawa/);
  });
  await look(page, 'request form');
  await step(T('a request without the right and its scope comes back with the errors'), async () => {
    await page.getByLabel(/^Imię i nazwisko/).fill(`${who.first} ${who.last}`);
    await clickAndWait(page, button(page.getByRole('main'), 'Złóż wniosek'));
    await expectText(page, 'Formularz zawiera błędy');
    return (await page.getByLabel(/^Imię i nazwisko/).inputValue()) === `${who.first} ${who.last}`;
  });
  await look(page, 'request form with errors', { shot: true });
  await step(T('a request filled in is taken: the page says to confirm it from the e-mail'), async () => {
    await page.getByLabel(/^Adres e-mail/).fill(who.email);
    await page.getByRole('radio', { name: /dostęp do danych i ich kopia/ }).check();
    await page.getByLabel(/^Zakres żądania/).fill('Kopia danych z mojego konta w portalu.');
    await page.getByRole('radio', { name: 'e-mailem' }).check();
    await clickAndWait(page, button(page.getByRole('main'), 'Złóż wniosek'));
    return expectText(page, /e-mail/);
  });
  await look(page, 'message page (request sent)');
  await step(T('the e-mail\'s link opens a page with a button; pressing it confirms the request'), async () => {
    const url = await mailLink(who.email, '/ochrona-danych/wniosek/potwierdz');
    if (!url.startsWith(origin + '/')) throw new Error(`the link ${url} is not the portal's address`);
    await page.goto(url, { waitUntil: 'load' });
    await look(page, 'confirmation page');
    const b = page.getByRole('main').getByRole('button');
    if ((await b.count()) !== 1) throw new Error('no single button to press');
    await clickAndWait(page, b);
    return expectText(page, /przyj|potwierdz/i);
  });
  await look(page, 'message page (request confirmed)');

  // the account page: the data, the export
  await step(T('"Moje dane" in the header opens the account page, with the request and its due date on it'), async () => {
    await clickAndWait(page, link(page.getByRole('banner'), 'Moje dane'));
    await expectH1(page, 'Moje dane');
    await expectText(page, who.email);
    return expectText(page, /Wniosek nr \d+: dostęp do danych .* – przyjęty; wpłynął \d{4}-\d\d-\d\d, termin odpowiedzi \d{4}-\d\d-\d\d/);
  });
  await look(page, 'account page', { shot: true });
  await step(T('"Pobierz moje dane (JSON)" downloads a JSON file holding the person\'s e-mail'), async () => {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }),
      link(page.getByRole('main'), 'Pobierz moje dane (JSON)').click()]);
    const data = JSON.parse(readFileSync(await dl.path(), 'utf8'));
    if (!dl.suggestedFilename().endsWith('.json')) throw new Error(`the file is called ${dl.suggestedFilename()}`);
    if (!data.profile || data.profile.email !== who.email) throw new Error(`profile: ${JSON.stringify(data.profile)}`);
    if (!data.posts.some((p) => p.title === title)) throw new Error(`the thread is not among the posts: ${JSON.stringify(data.posts)}`);
  });

  // deleting the account: a wrong password first
  await step(T('"Usuń konto" opens the deletion form'), async () => {
    await clickAndWait(page, link(page.getByRole('main'), 'Usuń konto'));
    return expectH1(page, /Usu/);
  });
  await look(page, 'account action form');
  await step(T('deleting with a wrong password is refused'), async () => {
    await page.getByRole('checkbox', { name: /Tak, chcę usunąć swoje konto/ }).check();
    await page.getByLabel(/^Twoje hasło/).fill('to nie jest moje hasło');
    await clickAndWait(page, button(page.getByRole('main'), 'Usuń konto'));
    await expectText(page, 'Formularz zawiera błędy');
    return expectText(page, /hasło/i);
  });
  await look(page, 'account action with a wrong password', { shot: true });
  await step(T('ticked, with the password: the account is deleted'), async () => {
    const box = page.getByRole('checkbox', { name: /Tak, chcę usunąć swoje konto/ });
    if (!(await box.isChecked())) await box.check();
    await page.getByLabel(/^Twoje hasło/).fill(password);
    await clickAndWait(page, button(page.getByRole('main'), 'Usuń konto'));
    await expectText(page, /usunięte|usunęliśmy/i);
    return (await page.getByText('Zalogowano:').count()) === 0;
  });
  await look(page, 'message page (account deleted)');
  await step(T('logging in with the deleted account no longer works'), async () => {
    await clickAndWait(page, link(menu(page), 'Zaloguj się'));
    await page.getByLabel(/^Adres e-mail/).fill(who.email);
    await page.getByLabel(/^Hasło/).fill(password);
    await clickAndWait(page, button(page.getByRole('main'), 'Zaloguj się'));
    await expectText(page, 'Formularz zawiera błędy');
    return (await page.getByText('Zalogowano:').count()) === 0 && (await context.cookies()).length === 0;
  });
  await step(T('...and the certificate is still genuine, without the name'), async () => {
    if (!certUrl) throw new Error('there was no certificate');
    await page.goto(certUrl, { waitUntil: 'load' });
    await expectH1(page, 'Certyfikat ukończenia kursu');
    return (await page.getByText(`${who.first} ${who.last}`).count()) === 0;
  });
  check(foreign.length === 0, T('no request went to another host'), foreign.slice(0, 3).join(', '));
  await context.close();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  looking = true;
  await journey(browser, true);
  looking = false;
  await journey(browser, false);
} finally {
  await browser.close();
}
console.log('# page kinds checked: ' + kindsSeen.join(', '));
process.exit(failed ? 1 : 0);
