// 关爱服务 on a 390-px phone: the grid worker opens the people in care of their grids, finds
// the one whose weekly visit is overdue, records the visit on her page, and she leaves the
// overdue list; revealing who she is asks for a reason first. A leader has no way in.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

const PHONE = { width: 390, height: 844 };
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

async function logIn(p, username) {
  await p.goto(`${base}/login`);
  await p.fill('#username', username);
  await p.fill('#password', demo.password);
  await Promise.all([p.waitForNavigation(), p.click('form[action="/login"] button[type="submit"]')]);
}

test('a grid worker visits an overdue person in care on a phone', async () => {
  const p = await (await browser.newContext({ viewport: PHONE })).newPage();
  await logIn(p, 'gridworker');
  assert.match(await p.locator('#care-missed').innerText(), /关爱对象逾期未走访：\d+/);
  await Promise.all([p.waitForNavigation(), p.click('#care-missed a')]);
  const overdue = p.locator('#care-due li.overdue', { hasText: '陈**' });
  assert.equal(await overdue.count(), 1, 'the weekly visit she was due is overdue');
  assert.equal(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'fits the phone');
  await Promise.all([p.waitForNavigation(), overdue.locator('a').click()]);
  assert.match(await p.locator('#flags').innerText(), /独居老人[\s\S]*逾期\d+天未走访/);
  assert.equal((await p.locator('#member-name').innerText()).includes('陈玉梅'), false, 'masked until revealed');

  await p.fill('#follow_up', '血压正常，已提醒按时服药');
  await Promise.all([p.waitForNavigation(), p.click('#visit button[type="submit"]')]);
  assert.match(await p.locator('#care-done').innerText(), /走访已记录/);
  assert.match(await p.locator('#flags').innerText(), /天后走访/, 'the next visit is a week away');

  // The reveal asks why before it shows anything.
  const before = p.url();
  await p.click('#reveal button[type="submit"]');
  assert.equal(await p.locator('#reason').evaluate((e) => e.validity.valueMissing), true, 'the browser asks for the reason first');
  assert.equal(p.url(), before, 'nothing was sent');
  await p.fill('#reason', '联系其女儿');
  await Promise.all([p.waitForNavigation(), p.click('#reveal button[type="submit"]')]);
  assert.match(await p.locator('#revealed').innerText(), /陈玉梅/);

  await p.goto(`${base}/care`);
  assert.equal(await p.locator('#care-due li.overdue', { hasText: '陈**' }).count(), 0, 'no longer overdue');
  await p.context().close();
});

test('a leader has no way to the people in care', async () => {
  const p = await (await browser.newContext({ viewport: PHONE })).newPage();
  await logIn(p, 'leader');
  assert.equal(await p.locator('header a[href="/care"]').count(), 0);
  const refused = await p.goto(`${base}/care`);
  assert.equal(refused.status(), 403);
  await p.context().close();
});
