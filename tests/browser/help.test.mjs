// 五社联动 on a 390-px phone: a resident registers as a volunteer on 互助, the grid worker
// verifies them, records a need found on a visit and offers it to them from the helpers the
// need's page suggests; the volunteer accepts on their phone, sees the address only then,
// reports it done with the hours and a photo; the grid worker confirms it and the volunteer's
// points follow.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

const PHONE = { width: 390, height: 844 };
// The smallest PNG header the platform takes as a photo.
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

async function logIn(p, username) {
  await p.goto(`${base}/login`);
  await p.fill('#username', username);
  await p.fill('#password', demo.password);
  await Promise.all([p.waitForNavigation(), p.click('form[action="/login"] button[type="submit"]')]);
}

async function fitsTheScreen(p, what) {
  const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, `${what}: nothing wider than the screen`);
}

function tomorrow() {
  const beijing = new Date(Date.now() + 8 * 3600 * 1000 + 24 * 3600 * 1000);
  return beijing.toISOString().slice(0, 10);
}

test('a volunteer registers, takes a need on their phone, reports it with a photo and earns points', async () => {
  const phone = '13900009101';
  const volunteer = await phonePage();
  await volunteer.goto(`${base}/me`);
  await volunteer.fill('#phone', phone);
  await Promise.all([volunteer.waitForNavigation(), volunteer.click('form[action="/me/code"] button[type="submit"]')]);
  await volunteer.fill('#code', await demo.codeFor('139****9101'));
  await Promise.all([volunteer.waitForNavigation(), volunteer.click('form[action="/me/sign-in"] button[type="submit"]')]);
  await volunteer.goto(`${base}/help`);
  await fitsTheScreen(volunteer, '互助 before registering');
  await volunteer.fill('#register-form #name', '刘晓东');
  await volunteer.selectOption('#register-form #region_code', '110101001001');
  await volunteer.check('#skills input[value="errands"]');
  for (const day of ['1', '2', '3', '4', '5', '6', '7']) await volunteer.check(`#days input[value="${day}"]`);
  await volunteer.check('#parts input[value="morning"]');
  await Promise.all([volunteer.waitForNavigation(), volunteer.click('#register-form button[type="submit"]')]);
  assert.equal(await volunteer.locator('#helper-state .state').getAttribute('data-state'), 'pending');

  const worker = await phonePage();
  await logIn(worker, 'gridworker');
  await worker.goto(`${base}/helpers?state=pending`);
  await Promise.all([worker.waitForNavigation(), worker.click('#helpers a:has-text("刘**")')]);
  assert.match(await worker.locator('h1').innerText(), /刘晓东/, 'staff of the community read the name');
  await Promise.all([worker.waitForNavigation(), worker.click('#verify-form button')]);
  assert.equal(await worker.locator('#helper-state .state').getAttribute('data-state'), 'verified');

  await worker.goto(`${base}/needs`);
  await worker.selectOption('#source', 'visit');
  await worker.fill('#household_label', '9号楼3单元502');
  await worker.selectOption('#skill', 'errands');
  await worker.fill('#what', '老人腿伤，请帮忙买一周的菜');
  await worker.fill('#on', tomorrow());
  await worker.selectOption('#part', 'morning');
  await worker.selectOption('#urgency', 'soon');
  await worker.fill('#address', '9号楼3单元502');
  await Promise.all([worker.waitForNavigation(), worker.click('#record-need button[type="submit"]')]);
  await fitsTheScreen(worker, 'the need');
  const suggested = worker.locator('#suggestions tr', { hasText: '刘**' });
  assert.equal(await suggested.count(), 1, 'the new volunteer is among the helpers suggested');
  await Promise.all([worker.waitForNavigation(), suggested.locator('button').click()]);
  assert.equal(await worker.locator('#need-state .state').getAttribute('data-state'), 'offered');
  const needPage = worker.url();

  await volunteer.reload();
  const offered = volunteer.locator('#offered li', { hasText: '老人腿伤' });
  assert.equal(await offered.count(), 1, 'the offer waits on the volunteer\'s page');
  assert.doesNotMatch(await volunteer.locator('main').innerText(), /9号楼3单元502/, 'no address before accepting');
  await Promise.all([volunteer.waitForNavigation(), offered.locator('button', { hasText: '接单' }).click()]);
  await Promise.all([volunteer.waitForNavigation(), volunteer.click('#in-hand a')]);
  assert.match(await volunteer.locator('#contact').innerText(), /9号楼3单元502/, 'the address once accepted');
  await fitsTheScreen(volunteer, 'the task');
  await volunteer.fill('#hours', '1.5');
  await volunteer.fill('#note', '已买好送到家');
  await volunteer.setInputFiles('#photo', { name: 'groceries.png', mimeType: 'image/png', buffer: PNG });
  await Promise.all([volunteer.waitForNavigation(), volunteer.click('#report-form button[type="submit"]')]);
  assert.equal(await volunteer.locator('#need-state .state').getAttribute('data-state'), 'done');
  assert.equal(await volunteer.locator('#need-photos img').count(), 1);
  assert.equal(await volunteer.locator('#confirm-form').count(), 0, 'a helper does not confirm their own work');

  await worker.goto(needPage);
  await worker.check('#confirm-form input[name="rating"][value="5"]');
  await Promise.all([worker.waitForNavigation(), worker.click('#confirm-form button[type="submit"]')]);
  assert.equal(await worker.locator('#need-state .state').getAttribute('data-state'), 'confirmed');
  await worker.context().close();

  await volunteer.goto(`${base}/help`);
  assert.equal(await volunteer.locator('#my-points #balance').innerText(), '15', 'an hour and a half, fifteen points');
  assert.equal(await volunteer.locator('#finished li').count(), 1);
  await fitsTheScreen(volunteer, '互助 with points');
  await volunteer.context().close();
});
