// Accessibility: axe-core (from npm, injected into the page under test) checks the resident
// pages (a volunteer's among them) and the staff pages (votes, topics, councils, decisions, surveys, households, the
// people in care, needs and helpers among them) for serious and critical WCAG 2
// A/AA violations.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchChromium, startDemo } from './server.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let demo, browser;

before(async () => {
  demo = await startDemo();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

// The pages' Content-Security-Policy allows no inline script, so the contexts bypass it to
// inject axe (the pages themselves are checked under it by the other tests).
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

test('resident pages have no serious accessibility violations', async () => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true })).newPage();
  await page.goto(`${demo.base}/votes`);
  const published = await page.locator('#votes li[data-phase="published"] a').first().getAttribute('href');
  await page.goto(`${demo.base}/topics`);
  const topic = await page.locator('#topics a').first().getAttribute('href');
  await page.goto(`${demo.base}/meetings`);
  const council = await page.locator('#meetings li[data-state="held"] a').first().getAttribute('href');
  await page.goto(`${demo.base}/decisions`);
  const decision = await page.locator('#decisions a').first().getAttribute('href');
  await page.goto(`${demo.base}/surveys`);
  const survey = await page.locator('#surveys li[data-phase="closed"] a').first().getAttribute('href');
  await page.goto(`${demo.base}/funds`);
  const fund = await page.locator('#funds a').first().getAttribute('href');
  await page.goto(`${demo.base}/projects`);
  const project = await page.locator('#projects a').first().getAttribute('href');
  await page.goto(`${demo.base}/compounds`);
  const compound = await page.locator('#compounds a').first().getAttribute('href');
  for (const path of ['/', '/report', '/report/details', '/track', '/me', '/public', '/login', '/votes', published, '/topics', topic, '/meetings', council, '/decisions', decision, '/surveys', survey, '/funds', fund, '/services', '/services/JD-001', '/projects', project, '/compounds', compound, '/public/oversight?community=110101001001', '/integrity']) {
    await page.goto(`${demo.base}${path}`);
    assert.deepEqual(await violations(page), [], path);
  }
});

test('staff pages have no serious accessibility violations', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
  await page.goto(`${demo.base}/login`);
  await page.fill('#username', 'admin');
  await page.fill('#password', demo.password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  await page.goto(`${demo.base}/work`);
  const firstCase = await page.locator('a[href^="/cases/"]').first().getAttribute('href');
  await page.goto(`${demo.base}/votes`);
  const running = `${await page.locator('#votes li[data-phase="open"] a').first().getAttribute('href')}/run`;
  await page.goto(`${demo.base}/care`);
  const inCare = await page.locator('#care-due a').first().getAttribute('href');
  await page.goto(`${demo.base}/needs`);
  const need = await page.locator('#needs a').first().getAttribute('href');
  await page.goto(`${demo.base}/helpers`);
  const helper = await page.locator('#helpers a').first().getAttribute('href');
  await page.goto(`${demo.base}/applications`);
  const application = await page.locator('#applications a').first().getAttribute('href');
  await page.goto(`${demo.base}/disputes?show=all`);
  const dispute = await page.locator('#disputes a').first().getAttribute('href');
  await page.goto(`${demo.base}/incidents`);
  const incident = await page.locator('#incidents a[href^="/incidents/"]').first().getAttribute('href');
  await page.goto(`${demo.base}/party`);
  const partyMember = await page.locator('#member-table a').first().getAttribute('href');
  const registration = await page.locator('#registration-list a').first().getAttribute('href');
  await page.goto(`${demo.base}/bulletins`);
  const bulletin = await page.locator('#bulletins a').first().getAttribute('href');
  for (const path of ['/work', firstCase, '/map', '/dashboard', '/admin/users', '/admin/matrix', '/search?q=%E8%B7%AF%E7%81%AF', '/warnings', '/duty', '/admin/danger-words', '/households', '/votes', running, '/topics', '/meetings', '/surveys', '/care', inCare, '/funds', '/needs', need, '/helpers', helper, '/applications', application, '/projects', '/disputes', dispute, '/mediators', '/disputes/figures', '/incidents', incident, `${incident}/check?grid=110101001001001`, '/party', partyMember, registration, '/party/figures', '/map?shade=party', '/bulletins', bulletin, '/burden', '/oversight', '/workforce', '/workforce/staff/gridworker', '/workforce/staffing']) {
    await page.goto(`${demo.base}${path}`);
    assert.deepEqual(await violations(page), [], path);
  }
});

test('a volunteer\'s phone pages have no serious accessibility violations', async () => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true })).newPage();
  await page.goto(`${demo.base}/me`);
  await page.fill('#phone', '13800000001');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/me/code"] button[type="submit"]')]);
  await page.fill('#code', await demo.codeFor('138****0001'));
  await Promise.all([page.waitForNavigation(), page.click('form[action="/me/sign-in"] button[type="submit"]')]);
  await page.goto(`${demo.base}/help`);
  const offered = await page.locator('#offered a').first().getAttribute('href');
  for (const path of ['/help', offered, '/services', '/services/JD-007']) {
    await page.goto(`${demo.base}${path}`);
    assert.deepEqual(await violations(page), [], path);
  }
});
