// 为民服务中心 on a 390-px phone: a resident finds 低保 in the catalogue, applies online with a
// photo of their household register, is asked once for what is missing and supplies it from
// their phone; the centre's window (the operator) accepts, approves and completes it on its
// queue; the resident follows every step, with the limit's day shown, and books a slot at the
// window.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

const PHONE = { width: 390, height: 844 };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

let demo, browser, base;

before(async () => {
  demo = await startDemo();
  base = demo.base;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  demo?.stop();
});

async function phonePage() {
  const context = await browser.newContext({ viewport: PHONE });
  return context.newPage();
}

async function fitsTheScreen(p, what) {
  const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, `${what}: nothing wider than the screen`);
}

test('a resident applies online on their phone, supplies what is asked, and the centre completes it', async () => {
  const resident = await phonePage();
  await resident.goto(`${base}/me`);
  await resident.fill('#phone', '13900009201');
  await Promise.all([resident.waitForNavigation(), resident.click('form[action="/me/code"] button[type="submit"]')]);
  await resident.fill('#code', await demo.codeFor('139****9201'));
  await Promise.all([resident.waitForNavigation(), resident.click('form[action="/me/sign-in"] button[type="submit"]')]);

  await resident.goto(`${base}/services`);
  await resident.fill('#q', '低保');
  await Promise.all([resident.waitForNavigation(), resident.click('#search button[type="submit"]')]);
  await fitsTheScreen(resident, 'the catalogue');
  await Promise.all([resident.waitForNavigation(), resident.click('#items a:has-text("最低生活保障申请")')]);
  assert.match(await resident.locator('#guide').innerText(), /户口簿/, 'the materials are listed');
  await resident.selectOption('#apply-street', '110101001');
  await resident.fill('#name', '何秀珍');
  await resident.setInputFiles('#photo', { name: 'hukou.png', mimeType: 'image/png', buffer: PNG });
  await Promise.all([resident.waitForNavigation(), resident.click('#apply-form button[type="submit"]')]);
  assert.equal(await resident.locator('#application-state .state').getAttribute('data-state'), 'received');
  assert.match(await resident.locator('#due').innerText(), /\d{4}-\d{2}-\d{2}/, 'the day it must be accepted by');
  await fitsTheScreen(resident, 'the application');
  const applicationUrl = resident.url();

  const window = await phonePage();
  await window.goto(`${base}/login`);
  await window.fill('#username', 'operator');
  await window.fill('#password', demo.password);
  await Promise.all([window.waitForNavigation(), window.click('form[action="/login"] button[type="submit"]')]);
  await window.goto(`${base}/applications`);
  const row = window.locator('#applications tr', { hasText: '何**' });
  assert.equal(await row.count(), 1, 'the application waits in the centre\'s queue');
  await Promise.all([window.waitForNavigation(), row.locator('a').click()]);
  assert.match(await window.locator('main').innerText(), /何秀珍/, 'the window reads the applicant');
  await window.selectOption('#why-move', 'ask_for_more');
  await window.fill('#why-note', '请补充家庭成员近6个月收入证明');
  await Promise.all([window.waitForNavigation(), window.click('#why-form button[type="submit"]')]);
  assert.equal(await window.locator('#application-state .state').getAttribute('data-state'), 'more_materials');

  await resident.goto(applicationUrl);
  assert.match(await resident.locator('#application-history').innerText(), /收入证明/, 'told once what is missing');
  await resident.setInputFiles('#resubmit-photo', { name: 'income.png', mimeType: 'image/png', buffer: Buffer.concat([PNG, Buffer.from('income')]) });
  await Promise.all([resident.waitForNavigation(), resident.click('#resubmit-form button[type="submit"]')]);
  assert.equal(await resident.locator('#application-state .state').getAttribute('data-state'), 'received');
  assert.equal(await resident.locator('#files img').count(), 2);

  await window.reload();
  for (const form of ['#accept-form', '#approve-form', '#complete-form']) {
    await Promise.all([window.waitForNavigation(), window.click(`${form} button`)]);
  }
  assert.equal(await window.locator('#application-state .state').getAttribute('data-state'), 'done');
  await window.context().close();

  await resident.goto(`${base}/services`);
  assert.match(await resident.locator('#my-applications').innerText(), /最低生活保障申请 · 已办结/);
  await resident.goto(`${base}/services/JD-005`);
  assert.equal(await resident.locator('#window-only').count(), 1, '残疾人证 is handled at the window');
  const first = await resident.locator('#when option:not([disabled])').first().getAttribute('value');
  await resident.selectOption('#when', first);
  await Promise.all([resident.waitForNavigation(), resident.click('#book-form button[type="submit"]')]);
  assert.match(await resident.locator('#my-bookings').innerText(), new RegExp(first.replace(' ', ' ')));
  await fitsTheScreen(resident, 'the bookings');
  await resident.context().close();
});
