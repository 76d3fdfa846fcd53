#!/usr/bin/env node
// Storybank browser journeys: a reporter submits a photo story from a phone-sized screen, a curator
// tags, themes, quotes, annotates and publishes it on a desktop-sized one, builds an insight pack
// from search results and publishes it, and a commissioner reads the pack, follows its evidence to
// the story, opens the theme overview and downloads every export format; an admin adds an account,
// changes its roles, disables it and reads the audit trail. Every journey runs twice,
// with JavaScript on and with it off (the web app is server-rendered and must work without JS).
// In the JS pass, axe-core checks every page reached; a `serious` or `critical` violation fails.
//
// How to run (after `npm ci` in this folder; needs Debian's chromium at /usr/bin/chromium):
//   make browser-test
//   cd tests/browser && STORYBANK_BIN=../../target/debug/storybank node run.mjs
// Options:
//   --smoke            only check that Chromium and axe-core work here (no server, no binary needed)
//   --journey NAME     run only `reporter`, `curator`, `pack` or `commissioner` (with the journeys it
//                      builds on: curator needs reporter's story, pack the published story,
//                      commissioner the published pack)
//   --mode js|nojs     run only one of the two passes
//   --keep             keep the temporary data directory and server log even when everything passes
// Environment: STORYBANK_BIN (default target/debug/storybank under the repository root),
//   CHROMIUM (default /usr/bin/chromium).
// Screenshots: screenshots/<journey>-<js|nojs>-<nn>-<step>.png (full page; cleared at each run).
// The last line is "browser: N passed, N failed" (one per journey and pass); the exit code is
// 0 when all passed, 1 when a journey failed, 2 when the set-up (binary, server, browser) failed.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const SCREENSHOTS = join(HERE, 'screenshots');
const AXE_SOURCE = readFileSync(join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const PHOTO = join(ROOT, 'stories-sample', 'stories', 'fi', 'bus-stop-rain-gps.jpg'); // has GPS EXIF
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling home, which floods a closed network.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const STEP_TIMEOUT_MS = 10_000; // for one action or wait; pages are small and local
const HEALTH_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 15 * 60_000; // the whole run, as a last resort against hangs
const MODES = ['js', 'nojs'];
// The reporter's phone is 320 px wide: the narrowest the issue asks pages to work at.
const VIEWPORTS = { reporter: { width: 320, height: 740 }, curator: { width: 1280, height: 800 } };

const { values: opts } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    journey: { type: 'string' },
    mode: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

// ---------------------------------------------------------------------------------------------
// Small helpers

class SetupError extends Error {}

function fail(message) {
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const today = () => new Date().toISOString().slice(0, 10);

// A form control found by its label text. The label must *start* with `text` (so "Title *" or
// "Title (required)" still match) and `text` must end at a word end (so "Tag" does not match
// "Tags (comma-separated)", nor "Photo" the alt-text label that mentions "the photo").
function byLabel(scope, text) {
  return scope.getByLabel(new RegExp(`^\\s*${escapeRe(text)}(?![\\w-])`, 'i'));
}

// The control labelled `label` must carry the contract's `name` attribute (what the server reads).
async function field(scope, label, name) {
  const control = byLabel(scope, label);
  await visible(control, `a form field labelled "${label}"`);
  const actual = await control.getAttribute('name');
  check(actual === name, `the field labelled "${label}" has name="${actual}", expected name="${name}"`);
  return control;
}

const button = (scope, name) => scope.getByRole('button', { name, exact: true });

async function visible(locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible' });
  } catch {
    fail(`expected to see ${what} on ${locator.page().url()}`);
  }
}

// Status text such as `submitted` or `published`: an element whose whole text is the status,
// optionally after "Status:" (so a flash like "Story published." does not count).
const statusText = (page, status) => page.getByText(new RegExp(`^(status:?\\s*)?${status}$`, 'i'));

function pathOf(page) {
  const url = new URL(page.url());
  return url.protocol.startsWith('http') ? url.pathname : url.protocol;
}

// Path with ids replaced, so the same kind of page from the JS and no-JS passes compares equal.
const pageKind = (url) => new URL(url).pathname.replace(/\/(?=[^/]*\d)[^/]+/g, '/:id');

// ---------------------------------------------------------------------------------------------
// One journey in one mode: steps, screenshots, page checks, axe.

class JourneyRun {
  constructor({ journey, mode, page, loggedIn = false }) {
    Object.assign(this, { journey, mode, page, loggedIn, stepNo: 0, problems: [] });
    this.js = mode === 'js';
    // Things that go wrong outside the step's own checks fail the step that was running.
    page.on('pageerror', (e) => this.problems.push(`uncaught JS error: ${e.message}`));
    page.on('console', (m) => {
      // Failed loads are reported (with their URL) by the response listener below.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        this.problems.push(`console error: ${m.text()}`);
      }
    });
    page.on('response', (r) => {
      const url = new URL(r.url());
      if (r.status() >= 400 && !r.request().isNavigationRequest() && url.pathname !== '/favicon.ico') {
        this.problems.push(`${r.request().method()} ${url.pathname} answered ${r.status()}`);
      }
    });
  }

  // Runs `action`, then screenshots the page, checks its layout and (JS pass) runs axe.
  async step(name, action) {
    this.stepNo += 1;
    const label = `${this.journey} ${this.mode} ${String(this.stepNo).padStart(2, '0')} ${name}`;
    const shot = `${this.journey}-${this.mode}-${String(this.stepNo).padStart(2, '0')}-${name}`;
    try {
      await action();
      await this.screenshot(shot);
      await checkLayout(this.page, { loggedIn: this.loggedIn });
      if (this.js) await axeCheck(this.page);
      if (this.problems.length) fail(this.problems.splice(0).join('\n'));
      reached[this.mode].add(pageKind(this.page.url()));
      console.log(`  ok   ${label}  ${pathOf(this.page)}`);
    } catch (e) {
      await this.screenshot(`${shot}-FAILED`).catch(() => {});
      console.log(`  FAIL ${label}  ${this.page.url()}`);
      e.message = `${label}: ${e.message}`;
      throw e;
    }
  }

  screenshot(name) {
    return this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async goto(path, { status = 200 } = {}) {
    const response = await this.page.goto(path);
    if (status !== null) expectStatus(response, status, `GET ${path}`);
    return response;
  }

  // Clicks something that loads a new page (a link or a form's submit button) and returns the
  // final response. `post: true` means a form POST that succeeded: it must redirect (303) to a
  // GET that answers 200, so reloading the result never resubmits the form.
  async navigateBy(locator, { status = 200, post = false } = {}) {
    let response;
    try {
      [response] = await Promise.all([this.page.waitForNavigation(), locator.click()]);
    } catch (e) {
      // The usual cause: the browser's own form checks (required, type=date...) refused to submit.
      const invalid = await this.page.locator('form :invalid:not(form, fieldset)').evaluateAll(
        (els) => els.map((el) => `${el.name || el.id}: ${el.validationMessage}`),
      ).catch(() => []);
      if (invalid.length) fail(`the browser did not submit the form; invalid fields: ${invalid.join('; ')}`);
      throw e;
    }
    check(response, `no response after clicking ${locator}`);
    expectStatus(response, status, `the page after clicking ${locator}`);
    if (post) {
      let first = response.request();
      while (first.redirectedFrom()) first = first.redirectedFrom();
      const firstResponse = await first.response();
      check(first.method() === 'POST', `expected a form POST, got ${first.method()} ${first.url()}`);
      check(firstResponse?.status() === 303,
        `POST ${new URL(first.url()).pathname} answered ${firstResponse?.status()}, expected 303 (redirect after POST)`);
    }
    return response;
  }

  // After a successful POST: a flash message in <p role="status" class="flash">.
  async expectFlash() {
    await visible(this.page.locator('.flash[role="status"]'), 'a flash message (<p role="status" class="flash">)');
  }

  // After a rejected POST: 422 (checked by the caller), the error next to the field, linked to it.
  async expectFieldError(control, name) {
    const error = this.page.locator(`#${name}-error`);
    await visible(error, `an error message #${name}-error`);
    check(((await error.getAttribute('class')) || '').split(/\s+/).includes('error'),
      `#${name}-error should have class="error"`);
    check(((await error.textContent()) || '').trim() !== '', `#${name}-error is empty`);
    const describedBy = ((await control.getAttribute('aria-describedby')) || '').split(/\s+/);
    check(describedBy.includes(`${name}-error`),
      `the ${name} field should have aria-describedby="${name}-error" (has "${describedBy.join(' ')}")`);
  }

  async login(user) {
    await this.step('login-form', async () => {
      await this.goto('/login');
      await field(this.page, 'User name', 'username');
      const password = await field(this.page, 'Password', 'password');
      check((await password.getAttribute('type')) === 'password', 'the password field should be type="password"');
      await visible(button(this.page, 'Log in'), 'a "Log in" button');
    });
    const landing = { reporter: '/my/stories', curator: '/review', commissioner: '/packs', admin: '/admin/users' }[user.role];
    await this.step('logged-in', async () => {
      await byLabel(this.page, 'User name').fill(user.name);
      await byLabel(this.page, 'Password').fill(user.password);
      await this.navigateBy(button(this.page, 'Log in'), { post: true });
      check(pathOf(this.page) === landing, `a ${user.role} should land on ${landing}, landed on ${pathOf(this.page)}`);
      this.loggedIn = true;
    });
  }

  async logout() {
    await this.step('logged-out', async () => {
      const logOut = this.page.getByRole('navigation').getByRole('button', { name: 'Log out', exact: true });
      await this.navigateBy(logOut, { post: true });
      this.loggedIn = false;
    });
    await this.step('login-required', async () => {
      // The session is gone: a page that needs a log-in must show the log-in form again.
      await this.goto(this.journey === 'reporter' ? '/my/stories' : '/packs', { status: null });
      await visible(button(this.page, 'Log in'), 'the log-in form (the session should have ended)');
    });
  }
}

// Checks every page must pass (the layout part of the contract), in both modes.
async function checkLayout(page, { loggedIn }) {
  check((await page.locator('main#main').count()) === 1, 'the page should have exactly one <main id="main">');
  const skip = page.locator('a.skip[href="#main"]');
  check((await skip.count()) >= 1, 'the page should have a skip link <a href="#main" class="skip">');
  const firstFocusable = page.locator('a[href], button, input:not([type="hidden"]), select, textarea').first();
  check(((await firstFocusable.getAttribute('class')) || '').split(/\s+/).includes('skip'),
    'the skip link should be the first thing the keyboard reaches');
  const logOut = page.getByRole('navigation').getByRole('button', { name: 'Log out', exact: true });
  if (loggedIn) {
    check((await logOut.count()) >= 1, 'a logged-in page should have a "Log out" button in its <nav>');
    check((await page.locator('nav form[method="post" i][action$="/logout"]').count()) >= 1,
      'the "Log out" button should be in a <form method="post" action="/logout"> inside the <nav>');
  } else {
    check((await logOut.count()) === 0, 'a logged-out page should have no "Log out" button');
  }
  // Nothing runs off the side of the screen (at 320 px on the reporter's phone), and the page is
  // under 100 KB before images.
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(widths[0] <= widths[1], `the page is ${widths[0]} px wide in a ${widths[1]} px window`);
  const bytes = Buffer.byteLength(await page.content(), 'utf8');
  check(bytes < 100 * 1024, `the page is ${bytes} bytes of HTML, over 100 KB`);
  // Every state-changing form carries the CSRF token.
  const forms = page.locator('form[method="post" i]');
  for (let i = 0; i < (await forms.count()); i += 1) {
    const form = forms.nth(i);
    const token = form.locator('input[type="hidden"][name="csrf"]');
    const action = await form.getAttribute('action');
    check((await token.count()) === 1, `the POST form to ${action} should have one hidden csrf input`);
    check(((await token.getAttribute('value')) || '') !== '', `the csrf input of the form to ${action} is empty`);
  }
}

function expectStatus(response, status, what) {
  check(response.status() === status, `${what} answered ${response.status()}, expected ${status}`);
}

// axe-core on the current page. Injected with evaluate() rather than addScriptTag(), which a
// Content-Security-Policy without 'unsafe-inline' rightly blocks. Only in the JS pass: evaluating
// axe in a page whose context has JavaScript disabled crashes Chromium's renderer.
const axeMinor = new Map(); // rule id -> { impact, help, pages } for the summary (not failures)
async function axeCheck(page) {
  // A string passed to evaluate() runs through the DevTools protocol, which the page's CSP does
  // not govern (an eval() inside the page would be blocked without 'unsafe-eval').
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  const serious = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of results.filter((x) => !serious.includes(x))) {
    const seen = axeMinor.get(v.id) || { impact: v.impact, help: v.help, pages: new Set() };
    seen.pages.add(pageKind(page.url()));
    axeMinor.set(v.id, seen);
  }
  if (serious.length) {
    fail(`axe found ${serious.length} serious or critical accessibility problem(s):\n${serious.map((v) => [
      `    ${v.id} (${v.impact}): ${v.help}  ${v.helpUrl}`,
      ...v.nodes.slice(0, 8).map((n) => `      at ${n.target}\n        ${(n.summary || '').replace(/\n/g, '\n        ')}`),
      ...(v.nodes.length > 8 ? [`      ...and ${v.nodes.length - 8} more`] : []),
    ].join('\n')).join('\n')}`);
  }
}

const reached = { js: new Set(), nojs: new Set() }; // page kinds each pass reached

// ---------------------------------------------------------------------------------------------
// The journeys

// A reporter on a phone: logs in, submits a photo story (first with a blank title, which the
// server must reject next to the field), sees it, finds it in their list, logs out.
async function reporterJourney(run, { users, stories }) {
  const { page, mode } = run;
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const story = {
    stamp,
    title: `Bus stop in the rain ${stamp} ${mode}`,
    caption: 'Every morning I wait at this stop for the number 18 bus to work. The timetable screen '
      + 'has been broken for six months, and my eyesight is too poor to read the paper one.',
    altText: 'A rainy street: a bus shelter with a bench and a timetable board, a red and white bus '
      + 'stop sign, and one person waiting under a red umbrella.',
  };

  await run.login(users.rita);

  await run.step('photo-form', async () => {
    await run.navigateBy(page.getByRole('link', { name: 'Submit a photo story', exact: true }));
    check(pathOf(page) === '/submit/photo', `expected /submit/photo, got ${pathOf(page)}`);
  });

  // Fills the whole form. File inputs never keep their value across a page load, so after a
  // rejected submit the journey simply fills everything again.
  const fillForm = async (title, photo = PHOTO) => {
    await (await field(page, 'Title', 'title')).fill(title);
    await (await field(page, 'Language', 'language')).selectOption('en');
    await (await field(page, 'Place', 'place')).fill('Turku');
    await (await field(page, 'Recorded on', 'recorded_on')).fill('2024-10-08');
    await (await field(page, 'Photo', 'photo')).setInputFiles(photo);
    await (await field(page, 'Caption', 'caption')).fill(story.caption);
    await (await field(page, 'Alt text', 'alt_text')).fill(story.altText);
    await (await field(page, 'Tags', 'tags')).fill('bus, timetable, rain');
    const consent = page.getByRole('group', { name: /^\s*Consent\b/i });
    await visible(consent, 'a fieldset with the legend "Consent"');
    await consent.locator('input[type="radio"][name="consent_scope"][value="public"]').check();
    await consent.locator('input[type="radio"][name="consent_identify_as"][value="first_name"]').check();
    await (await field(page, 'Consent given on', 'consent_given_on')).fill(today());
    // Optional; filled in the no-JS pass only, so both the empty and the filled case are sent.
    const expires = page.locator('input[name="consent_expires_on"]');
    check((await expires.count()) === 1, 'the form should have an optional consent_expires_on field');
    if (mode === 'nojs') await expires.fill(`${new Date().getFullYear() + 2}-12-31`);
  };

  await run.step('blank-title-rejected', async () => {
    await fillForm('');
    // Switch off the browser's own checks (a `required` attribute) to test the server's.
    await page.locator('form:has(input[name="title"])').evaluate((form) => { form.noValidate = true; });
    await run.navigateBy(button(page, 'Submit story'), { status: 422 });
    await run.expectFieldError(await field(page, 'Title', 'title'), 'title');
  });

  // With JavaScript, a file of 256 KB or more is sent by the page's script, which shows its
  // progress: the photo, with 300 KB of padding after its end (JPEG readers stop at the end
  // marker), is one.
  const photo = mode === 'js'
    ? { name: 'bus-stop-rain-gps.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([readFileSync(PHOTO), Buffer.alloc(300 * 1024)]) }
    : PHOTO;
  await run.step('photo-form-filled', async () => {
    await fillForm(story.title, photo);
  });

  await run.step('submitted', async () => {
    if (mode === 'js') {
      const sent = page.waitForRequest((r) => r.method() === 'POST' && r.resourceType() === 'xhr');
      await run.navigateBy(button(page, 'Submit story'));
      check((await sent).url().endsWith('/submit/photo'), 'the upload should be sent by the page script, with progress');
    } else {
      await run.navigateBy(button(page, 'Submit story'), { post: true });
    }
    const m = pathOf(page).match(/^\/my\/stories\/([^/]+)$/);
    check(m, `after submitting, expected /my/stories/<id>, got ${pathOf(page)}`);
    story.id = m[1];
    await run.expectFlash();
    await visible(page.getByRole('heading', { level: 1, name: story.title }), `the title in an <h1>`);
    await visible(statusText(page, 'submitted'), 'the status "submitted"');
  });

  // The other two upload forms: each a page of its own, checked like every page.
  for (const [kind, heading] of [['text', 'written story'], ['transcript', 'transcript']]) {
    await run.step(`${kind}-form`, async () => {
      await run.goto(`/submit/${kind}`);
      await visible(page.getByRole('heading', { level: 1 }).filter({ hasText: new RegExp(heading, 'i') }), `an <h1> about a ${heading}`);
      await field(page, 'Title', 'title');
      await visible(button(page, 'Submit story'), 'a "Submit story" button');
    });
  }

  await run.step('my-stories', async () => {
    await run.goto('/my/stories');
    const link = page.getByRole('link', { name: story.title, exact: true });
    await visible(link, `a link to "${story.title}"`);
    const href = new URL(await link.getAttribute('href'), page.url()).pathname;
    check(href === `/my/stories/${story.id}`, `the list links to ${href}, expected /my/stories/${story.id}`);
  });

  await run.logout();
  stories[mode] = story; // for the curator journey of the same mode
}

// A curator at a desk: finds the reporter's story in the review queue, adds a tag, a theme and a
// quote (after a passage that is not in the story is rejected), saves notes, publishes, logs out.
async function curatorJourney(run, { users, stories }) {
  const { page, mode } = run;
  const story = stories[mode];
  check(story, `the ${mode} reporter journey did not leave a story to review`);
  const tag = 'timetable-screen';
  const theme = 'transport/accessibility';
  const passage = story.caption.split(/\s+/).slice(0, 6).join(' ');
  const keyMessage = 'Broken timetable screens leave partially sighted passengers waiting in the rain.';
  const keyLearning = 'Report broken real-time displays to the transport authority, and keep audio timetables.';

  await run.login(users.carl);

  await run.step('review-queue', async () => {
    await visible(page.getByRole('heading', { level: 1, name: 'Review queue', exact: true }), 'the <h1> "Review queue"');
    await visible(page.getByRole('link', { name: story.title, exact: true }), `a link to "${story.title}"`);
  });

  await run.step('story', async () => {
    await run.navigateBy(page.getByRole('link', { name: story.title, exact: true }));
    check(/^\/stories\/[^/]+$/.test(pathOf(page)), `expected /stories/<id>, got ${pathOf(page)}`);
    story.curatorPath = pathOf(page);
    await visible(page.getByRole('heading', { level: 1, name: story.title }), 'the story title in an <h1>');
  });

  await run.step('tag-added', async () => {
    await (await field(page, 'Tag', 'tag')).fill(tag);
    await run.navigateBy(button(page, 'Add tag'), { post: true });
    await run.expectFlash();
    await visible(page.locator('ul.tags li', { hasText: tag }), `the tag "${tag}" in <ul class="tags">`);
  });

  await run.step('theme-added', async () => {
    const control = await field(page, 'Theme', 'theme');
    if (run.js) {
      // A typeahead: a text box with the themes as suggestions; the theme's name typed whole.
      const kind = await control.evaluate((element) => `${element.tagName} ${element.getAttribute('list') || ''}`);
      check(/^INPUT \S+-options$/.test(kind), `with JavaScript the theme field is a text box with suggestions, got ${kind}`);
      check(await page.locator(`datalist option[value="${theme}"]`).count() === 1, `the suggestions offer "${theme}"`);
      await control.fill('Accessible transport');
    } else {
      await control.selectOption(theme);
    }
    await run.navigateBy(button(page, 'Add theme'), { post: true });
    await run.expectFlash();
    await visible(page.locator('ul.themes li', { hasText: theme }), `the theme "${theme}" in <ul class="themes">`);
  });

  await run.step('quote-not-in-story-rejected', async () => {
    await (await field(page, 'Passage to quote', 'passage')).fill('These words are not in the story at all.');
    await run.navigateBy(button(page, 'Mark quote'), { status: 422 });
    await run.expectFieldError(await field(page, 'Passage to quote', 'passage'), 'passage');
  });

  await run.step('quote-marked', async () => {
    if (run.js) {
      // Selecting the words in the story fills in the passage, and which appearance of them it is.
      const selected = await page.evaluate((words) => {
        const story = document.querySelector('[data-quotable]');
        const walker = document.createTreeWalker(story, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const at = node.data.indexOf(words);
          if (at < 0) continue;
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + words.length);
          window.getSelection().removeAllRanges();
          window.getSelection().addRange(range);
          story.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
          return [document.getElementById('passage').value, document.getElementById('occurrence').value];
        }
        return null;
      }, passage);
      check(selected && selected[0] === passage && selected[1] === '1',
        `selecting "${passage}" in the story should fill in the passage and occurrence 1, got ${JSON.stringify(selected)}`);
    } else {
      await (await field(page, 'Passage to quote', 'passage')).fill(passage);
    }
    await run.navigateBy(button(page, 'Mark quote'), { post: true });
    await run.expectFlash();
    await visible(page.locator('ul.quotes blockquote', { hasText: passage }),
      `the quote "${passage}" in a <blockquote> in <ul class="quotes">`);
  });

  await run.step('notes-saved', async () => {
    await (await field(page, 'Key message', 'key_message')).fill(keyMessage);
    await (await field(page, 'Key learning', 'key_learning')).fill(keyLearning);
    await run.navigateBy(button(page, 'Save notes'), { post: true });
    await run.expectFlash();
    // The saved notes show again, in the text areas or as text.
    for (const [label, name, text] of [['Key message', 'key_message', keyMessage], ['Key learning', 'key_learning', keyLearning]]) {
      const shown = (await (await field(page, label, name)).inputValue()) === text
        || (await page.getByText(text).count()) > 0;
      check(shown, `the saved ${label.toLowerCase()} is not shown after saving`);
    }
  });

  // Curation moves one step at a time: submitted -> reviewed -> published.
  await run.step('reviewed', async () => {
    await run.navigateBy(button(page, 'Mark reviewed'), { post: true });
    await run.expectFlash();
    await visible(statusText(page, 'reviewed'), 'the status "reviewed"');
  });

  await run.step('published', async () => {
    await run.navigateBy(button(page, 'Publish'), { post: true });
    await run.expectFlash();
    await visible(statusText(page, 'published'), 'the status "published"');
  });

  // The taxonomy and the erasure record: pages of the curation team, checked like every page.
  await run.step('themes', async () => {
    await run.goto('/themes');
    await visible(page.getByRole('heading', { level: 1, name: 'Themes', exact: true }), 'the <h1> "Themes"');
    await visible(page.locator('table.list code', { hasText: theme }), `the theme ${theme} in the taxonomy`);
  });
  await run.step('erasures', async () => {
    await run.goto('/erasures');
    await visible(page.getByRole('heading', { level: 1, name: 'Erasures', exact: true }), 'the <h1> "Erasures"');
  });

  await run.logout();
}

// An admin: adds an account (its first password shown once), changes its roles, disables it,
// and reads the audit trail.
async function adminJourney(run, { users }) {
  const { page, mode } = run;
  const name = `newcomer-${mode}`;
  await run.login(users.adam);

  await run.step('account-added', async () => {
    await (await field(page, 'User name', 'username')).fill(name);
    await page.locator('#new-role-reporter').check();
    await run.navigateBy(button(page, 'Add account'));
    await visible(page.locator('.notice[role="status"] code.secret'), 'the first password, shown once');
    await visible(page.getByRole('cell', { name, exact: true }), `a row for ${name}`);
  });

  await run.step('roles-changed', async () => {
    await page.locator(`#roles-${name}-curator`).check();
    await run.navigateBy(page.getByRole('button', { name: `Save roles of ${name}`, exact: true }), { post: true });
    check(await page.locator(`#roles-${name}-curator`).isChecked(), `${name} should now be a curator`);
  });

  await run.step('account-disabled', async () => {
    await run.navigateBy(page.getByRole('button', { name: `Disable ${name}`, exact: true }), { post: true });
    await visible(page.getByRole('button', { name: `Enable ${name}`, exact: true }), `an "Enable" button for ${name}`);
  });

  await run.step('audit', async () => {
    await run.goto('/admin/audit');
    await visible(page.getByRole('heading', { level: 1, name: 'Audit trail', exact: true }), 'the <h1> "Audit trail"');
  });

  await run.logout();
}

// A curator builds an insight pack from search results and publishes it.
async function packJourney(run, { users, stories, packs }) {
  const { page, mode } = run;
  const story = stories[mode];
  check(story?.curatorPath, `the ${mode} curator journey did not publish a story to build a pack from`);
  const pack = {
    title: `Waiting in the rain ${mode}`,
    question: 'What stops people with poor sight from using the buses?',
    finding: 'Broken timetable screens shut out partially sighted passengers',
  };

  await run.login(users.carl);

  await run.step('packs', async () => {
    await run.goto('/packs');
    await visible(page.getByRole('heading', { level: 1, name: 'Insight packs', exact: true }), 'the <h1> "Insight packs"');
  });

  await run.step('pack-started', async () => {
    await (await field(page, 'Title', 'title')).fill(pack.title);
    await (await field(page, 'The service or question it addresses', 'question')).fill(pack.question);
    await (await field(page, 'Who it is for', 'audience')).selectOption('commissioner');
    await run.navigateBy(button(page, 'Start pack'), { post: true });
    await run.expectFlash();
    await visible(page.getByRole('heading', { level: 1, name: pack.title }), 'the pack title in an <h1>');
    pack.path = pathOf(page);
  });

  await run.step('finding-added', async () => {
    await (await field(page, 'Type', 'kind')).selectOption('barrier');
    await (await field(page, 'Statement', 'statement')).fill(pack.finding);
    await run.navigateBy(button(page, 'Add finding'), { post: true });
    await run.expectFlash();
    await visible(page.getByRole('heading', { level: 2, name: new RegExp(escapeRe(pack.finding)) }), 'the finding as an <h2>');
  });

  await run.step('search-results', async () => {
    await run.goto(`/search?q=${encodeURIComponent(story.stamp)}`);
    await visible(page.getByRole('link', { name: story.title, exact: true }), `"${story.title}" among the results`);
  });

  await run.step('added-from-search', async () => {
    const result = page.locator('ol.stories > li', { has: page.getByRole('link', { name: story.title, exact: true }) });
    const select = result.getByLabel(/^Add this story to a finding/);
    const option = await select.locator('option', { hasText: `${pack.title}: 1. ${pack.finding}` }).getAttribute('value');
    check(option, `the "add to pack" list should offer "${pack.title}: 1. ${pack.finding}"`);
    await select.selectOption(option);
    await run.navigateBy(result.getByRole('button', { name: /^Add to pack/ }), { post: true });
    await run.expectFlash();
    check(pathOf(page) === '/search', `adding from search should come back to the search, came to ${pathOf(page)}`);
  });

  await run.step('quote-added-from-story', async () => {
    // The quote the curator journey marked, added from the story's page.
    await run.goto(story.curatorPath);
    const quoteItem = page.locator('ul.quotes > li').first();
    await visible(quoteItem.locator('blockquote'), 'the marked quote on the story page');
    const select = quoteItem.getByLabel(/^Add this quote to a finding/);
    const option = await select.locator('option', { hasText: `${pack.title}: 1. ${pack.finding}` }).getAttribute('value');
    check(option, `the quote's "add to pack" list should offer "${pack.title}: 1. ${pack.finding}"`);
    await select.selectOption(option);
    await run.navigateBy(quoteItem.getByRole('button', { name: 'Add quote to pack', exact: true }), { post: true });
    await run.expectFlash();
  });

  await run.step('pack-with-evidence', async () => {
    await run.goto(pack.path);
    const evidence = page.locator('ol.evidence > li');
    check((await evidence.count()) === 2, `the finding should rest on 2 pieces of evidence, has ${await evidence.count()}`);
    await visible(evidence.first().getByRole('link', { name: story.title, exact: true }), 'the story as evidence of the finding');
    await visible(page.locator('ol.evidence blockquote'), 'the quote as evidence of the finding');
  });

  await run.step('pack-published', async () => {
    await run.navigateBy(button(page, 'Publish as a new version'), { post: true });
    await run.expectFlash();
    await visible(page.getByText(/^Same as version 1, published/), 'the state "Same as version 1"');
  });

  packs[mode] = pack;
  await run.logout();
}

// A commissioner reads the published pack, follows its evidence to the story, and downloads every
// export format.
async function commissionerJourney(run, { users, stories, packs }) {
  const { page, mode } = run;
  const story = stories[mode];
  const pack = packs[mode];
  check(pack, `the ${mode} pack journey did not publish a pack`);

  await run.login(users.cora);

  await run.step('published-packs', async () => {
    await visible(page.getByRole('link', { name: pack.title, exact: true }), `a link to the pack "${pack.title}"`);
  });

  await run.step('pack', async () => {
    await run.navigateBy(page.getByRole('link', { name: pack.title, exact: true }));
    await visible(page.getByRole('heading', { level: 1, name: pack.title }), 'the pack title in an <h1>');
    await visible(page.getByRole('heading', { level: 2, name: new RegExp(escapeRe(pack.finding)) }), 'the finding');
    check((await page.locator('form[action*="/findings"]').count()) === 0, 'a commissioner should see no edit forms');
  });

  await run.step('quote-to-story', async () => {
    // Follow the quote (not the whole-story evidence) to the story it came from.
    const quoted = page.locator('ol.evidence > li', { has: page.locator('blockquote') });
    await visible(quoted.locator('blockquote'), 'a quote among the evidence');
    await run.navigateBy(quoted.getByRole('link', { name: story.title, exact: true }));
    await visible(page.getByRole('heading', { level: 1, name: story.title }), 'the story the evidence came from');
    check((await page.getByText('Reporter', { exact: true }).count()) === 0, 'a commissioner should not see the reporter');
  });

  await run.step('theme-overview', async () => {
    await run.navigateBy(page.getByRole('navigation').getByRole('link', { name: 'Overview', exact: true }));
    await visible(page.getByRole('heading', { level: 1, name: 'Theme overview', exact: true }), 'the <h1> "Theme overview"');
    for (const caption of ['Stories per theme, by year recorded', 'Stories per theme, by place']) {
      await visible(page.locator('table caption', { hasText: caption }), `a table "${caption}" beside its chart`);
    }
    check((await page.locator('svg.chart').count()) === 2, 'two charts drawn as inline SVG');
  });

  await run.step('downloads', async () => {
    await run.goto(pack.path);
    for (const [label, extension] of [['HTML (prints to PDF)', 'html'], ['Markdown', 'md'], ['JSON', 'json'], ['CSV (spreadsheet)', 'csv']]) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: label, exact: true }).click(),
      ]);
      const name = download.suggestedFilename();
      check(name.endsWith(`-v1.${extension}`), `the ${extension} export should be named *-v1.${extension}, got ${name}`);
      const path = await download.path();
      const text = readFileSync(path, 'utf8');
      check(text.includes(pack.finding), `the ${extension} export should hold the finding`);
      check(text.includes(story.title), `the ${extension} export should name the story`);
    }
  });

  await run.logout();
}

const JOURNEYS = { reporter: reporterJourney, curator: curatorJourney, pack: packJourney, commissioner: commissionerJourney, admin: adminJourney };
// Each journey builds on the ones before it, in the same mode.
const NEEDS = { curator: ['reporter'], pack: ['reporter', 'curator'], commissioner: ['reporter', 'curator', 'pack'] };

// ---------------------------------------------------------------------------------------------
// The server under test

// The running server, killed on any exit (a failed check, Ctrl-C, the watchdog) if still alive.
let liveServer = null;
process.on('exit', () => {
  if (liveServer && liveServer.exitCode === null && liveServer.signalCode === null) liveServer.kill('SIGKILL');
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

function runCli(bin, args, { input } = {}) {
  const r = spawnSync(bin, args, { cwd: ROOT, input, encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) {
    throw new SetupError(`\`storybank ${args.join(' ')}\` failed (${r.error?.message || `exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
  }
}

function freePort() {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// Ingests the sample stories, adds rita (reporter) and carl (curator), starts `serve`, and waits for
// /healthz. Returns { baseUrl, users, stop }.
async function startServer(tmp) {
  const bin = process.env.STORYBANK_BIN ? resolve(process.env.STORYBANK_BIN) : join(ROOT, 'target', 'debug', 'storybank');
  if (!existsSync(bin)) {
    throw new SetupError(`no storybank binary at ${bin}: build it (cargo build --bin storybank) or set STORYBANK_BIN`);
  }
  const dataDir = join(tmp, 'data');
  runCli(bin, ['--data-dir', dataDir, 'ingest', 'stories-sample']);
  const users = {};
  for (const [name, role] of [['rita', 'reporter'], ['carl', 'curator'], ['cora', 'commissioner'], ['adam', 'admin']]) {
    const password = randomBytes(18).toString('base64url');
    runCli(bin, ['--data-dir', dataDir, 'user', 'add', name, '--role', role, '--password-stdin'], { input: password });
    users[name] = { name, role, password };
  }

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logPath = join(tmp, 'server.log');
  const log = createWriteStream(logPath);
  const server = spawn(bin, ['--data-dir', dataDir, 'serve', '--addr', `127.0.0.1:${port}`], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveServer = server;
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  let exited = null;
  const exit = new Promise((r) => server.once('exit', (code, signal) => { exited = { code, signal }; r(exited); }));

  const stop = async () => {
    if (!exited) {
      server.kill('SIGTERM');
      const done = await Promise.race([exit, sleep(10_000)]);
      if (!done) {
        console.log('warning: the server did not stop within 10 s of SIGTERM; killing it');
        server.kill('SIGKILL');
        await exit;
      }
    }
    return exited;
  };
  const tailLog = () => readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new SetupError(`the server exited (${exited.code ?? exited.signal}) before it was healthy:\n${tailLog()}`);
    try {
      const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      const body = (await r.text()).trim();
      if (r.status === 200) {
        check(body === 'ok', `/healthz answered 200 with "${body}", expected "ok"`);
        break;
      }
    } catch (e) {
      if (!/fetch failed|aborted|timeout/i.test(e.message)) throw e;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new SetupError(`GET /healthz did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s:\n${tailLog()}`);
    }
    await sleep(200);
  }
  return { baseUrl, users, stop, logPath, tailLog };
}

// ---------------------------------------------------------------------------------------------
// Smoke check: Chromium starts, a page with the contract's layout loads in both modes, axe runs.

const SMOKE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; style-src 'unsafe-inline'">
<title>Smoke - Storybank</title><style>.skip{position:absolute;left:-999px}.skip:focus{left:0}</style></head>
<body><a href="#main" class="skip">Skip to content</a>
<header><nav aria-label="Account"><form method="post" action="/logout"><input type="hidden" name="csrf" value="t">
<button type="submit">Log out</button></form></nav></header>
<main id="main"><h1>Smoke</h1>
<form method="post" action="/x"><input type="hidden" name="csrf" value="t">
<label for="title">Title</label> <input id="title" name="title" required>
<label for="tags">Tags (comma-separated)</label> <input id="tags" name="tags">
<label for="d">Recorded on</label> <input id="d" name="recorded_on" type="date">
<fieldset><legend>Consent</legend><input type="radio" id="s1" name="consent_scope" value="public">
<label for="s1">Public</label></fieldset><button type="submit">Submit story</button></form></main></body></html>`;

async function smoke(browser, modes) {
  for (const mode of modes) {
    const context = await browser.newContext({ javaScriptEnabled: mode === 'js', viewport: VIEWPORTS.reporter });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    const run = new JourneyRun({ journey: 'smoke', mode, page, loggedIn: true });
    await run.step('page', async () => {
      await page.goto(`data:text/html,${encodeURIComponent(SMOKE_PAGE)}`);
      await (await field(page, 'Title', 'title')).fill('x');
      await (await field(page, 'Tags', 'tags')).fill('a, b');
      await (await field(page, 'Recorded on', 'recorded_on')).fill('2024-10-08');
      await page.getByRole('group', { name: /^\s*Consent\b/i }).locator('input[value="public"]').check();
      await visible(button(page, 'Submit story'), 'the submit button');
    });
    if (mode === 'js') {
      // And axe must catch a real problem: a text field with no label is a `critical` violation.
      await page.setContent('<!doctype html><html lang="en"><title>Bad</title><main id="main"><input name="q"></main></html>');
      const caught = await axeCheck(page).then(() => null, (e) => e);
      check(caught && /label \(critical\)/.test(caught.message), 'axe did not flag an unlabelled input');
      axeMinor.clear(); // that page's lesser findings are not worth a note
      console.log('  ok   smoke js 02 axe-flags-an-unlabelled-input');
    }
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const selected = opts.journey ? [opts.journey] : Object.keys(JOURNEYS);
  for (const j of selected) if (!JOURNEYS[j]) throw new SetupError(`unknown journey "${j}" (${Object.keys(JOURNEYS).join(', ')})`);
  for (const need of [...new Set(selected.flatMap((j) => NEEDS[j] || []))].reverse()) {
    if (!selected.includes(need)) selected.unshift(need);
  }
  selected.sort((a, b) => Object.keys(JOURNEYS).indexOf(a) - Object.keys(JOURNEYS).indexOf(b));
  const modes = opts.mode ? [opts.mode] : MODES;
  for (const m of modes) if (!MODES.includes(m)) throw new SetupError(`unknown mode "${m}" (js, nojs)`);

  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });

  let server = null;
  let browser = null;
  let tmp = null;
  let passed = 0;
  const failures = [];
  try {
    if (!opts.smoke) {
      tmp = mkdtempSync(join(tmpdir(), 'storybank-browser-'));
      server = await startServer(tmp);
      console.log(`server: ${server.baseUrl} (data and log in ${tmp})`);
    }
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    } catch (e) {
      throw new SetupError(`cannot start Chromium at ${CHROMIUM} (apt-get install chromium): ${e.message}`);
    }
    console.log(`browser: Chromium ${browser.version()}`);

    if (opts.smoke) {
      await smoke(browser, modes);
      passed = modes.length;
    } else {
      const shared = { users: server.users, stories: {}, packs: {} };
      for (const journey of selected) {
        for (const mode of modes) {
          const context = await browser.newContext({
            baseURL: server.baseUrl,
            viewport: VIEWPORTS[journey] || VIEWPORTS.curator,
            acceptDownloads: true,
            javaScriptEnabled: mode === 'js',
          });
          context.setDefaultTimeout(STEP_TIMEOUT_MS);
          const page = await context.newPage();
          console.log(`${journey} (${mode === 'js' ? 'JavaScript on' : 'JavaScript off'})`);
          try {
            await JOURNEYS[journey](new JourneyRun({ journey, mode, page }), shared);
            passed += 1;
          } catch (e) {
            failures.push(e);
          } finally {
            await context.close().catch(() => {});
          }
        }
      }
    }
  } finally {
    if (browser) await Promise.race([browser.close(), sleep(10_000)]);
    if (server) {
      const exit = await server.stop();
      if (exit.code !== 0 && exit.signal !== 'SIGTERM') {
        console.log(`warning: the server exited with ${exit.code ?? exit.signal} on SIGTERM (expected a clean exit 0)`);
      }
    }
  }

  // What axe flagged below `serious`: not failures, but worth a look.
  for (const [id, v] of axeMinor) {
    console.log(`axe note: ${id} (${v.impact}): ${v.help} on ${[...v.pages].join(', ')}`);
  }
  // axe runs in the JS pass only; the no-JS pass should not reach kinds of page the JS pass did not.
  const unscanned = [...reached.nojs].filter((k) => modes.includes('js') && !reached.js.has(k));
  if (unscanned.length) console.log(`warning: reached only without JS, so not checked by axe: ${unscanned.join(', ')}`);

  for (const e of failures) console.log(`\nFAILED ${e.message}`);
  if (failures.length && server) console.log(`\nserver log (last lines of ${server.logPath}):\n${server.tailLog()}`);
  if (failures.length || opts.keep) {
    if (tmp) console.log(`\nkept ${tmp} (data directory and server.log)`);
  } else if (tmp) {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\nscreenshots: ${SCREENSHOTS}`);
  console.log(`browser: ${passed} passed, ${failures.length} failed`);
  return failures.length ? 1 : 0;
}

const watchdog = setTimeout(() => {
  console.log(`\nFAILED: the run took longer than ${RUN_TIMEOUT_MS / 60_000} minutes; giving up`);
  process.exit(2);
}, RUN_TIMEOUT_MS);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (e) => {
    console.log(`\nFAILED (set-up): ${e instanceof SetupError ? e.message : e.stack}`);
    console.log('browser: 0 passed, 1 failed');
    process.exit(2);
  },
);
