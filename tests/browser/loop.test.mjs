// The whole closed loop through the pages, in Debian's chromium: a resident reports on a
// phone, the dispatcher registers and dispatches, the unit's handler accepts, contacts the
// resident and reports the result, the supervisor closes, the resident rates it, and the
// dashboard counts it. Also: another unit's handler cannot open the case, a form error
// keeps what was typed, and the resident pages fit a 390-px-wide phone.
//
// Run by .ci/run: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

const PASSWORD = 'grassroots-demo';
const PHONE = { width: 390, height: 844 };
const DESK = { width: 1280, height: 900 };

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

async function session(viewport, username) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  if (username) {
    await page.goto(`${base}/login`);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
    assert.ok(!page.url().includes('/login'), `${username} logged in`);
  }
  return page;
}

/** Makes a move through the case page's form for it. */
async function act(page, action, fields = {}) {
  const form = page.locator(`form:has(input[name="action"][value="${action}"])`);
  await page.locator(`details.action:has(input[name="action"][value="${action}"])`).evaluate((d) => { d.open = true; });
  for (const [name, value] of Object.entries(fields)) {
    await form.locator(`[name="${name}"]`).fill(value);
  }
  await Promise.all([page.waitForNavigation(), form.locator('button[type="submit"]').first().click()]);
  assert.ok(!(await page.locator('p.error').count()), `${action}: ${await page.locator('p.error').allInnerTexts()}`);
}

async function dispatchedCount(page) {
  await page.goto(`${base}/dashboard`);
  return Number(await page.locator('#dispatched').innerText());
}

test('a case goes round the closed loop through the pages', async () => {
  const leader = await session(DESK, 'leader');
  const dispatchedBefore = await dispatchedCount(leader);

  // A resident reports on a phone: a click on the map, then the details.
  const resident = await session(PHONE);
  await resident.goto(`${base}/report`);
  await Promise.all([resident.waitForNavigation(), resident.click('input[name="spot"]', { position: { x: 170, y: 200 } })]);
  await Promise.all([resident.waitForNavigation(), resident.click('a.button')]);
  assert.match(resident.url(), /\/report\/details\?lng=116\.\d+&lat=39\.\d+/);
  // The category is found by searching (a script narrows the list; the list works without it).
  await resident.fill('#category-search', '路灯');
  assert.equal(await resident.inputValue('#category_code'), '0301');
  await resident.fill('#description', '路灯不亮已经三天了，晚上很黑');
  await resident.fill('#reporter_phone', '13812345678');
  const submit = () =>
    Promise.all([resident.waitForNavigation(), resident.click('form[action="/report/details"] button[type="submit"]')]);
  await submit();
  // Open street-light reports nearby are offered to join first (附议); this is a new one.
  if (await resident.locator('#nearby').count()) await submit();
  const trackingNo = (await resident.locator('#tracking-no').innerText()).trim();
  const queryCode = (await resident.locator('#query-code').innerText()).trim();
  assert.match(trackingNo, /^\d{14}$/);
  assert.match(queryCode, /^\d{6}$/);

  // The dispatcher finds it, registers it and dispatches it to the suggested unit.
  const dispatcher = await session(DESK, 'dispatcher');
  await dispatcher.goto(`${base}/work?queue=to_register&text=${trackingNo}`);
  await Promise.all([dispatcher.waitForNavigation(), dispatcher.click(`a:text("${trackingNo}")`)]);
  const caseUrl = dispatcher.url();
  assert.ok(await dispatcher.locator('#reporter').innerText().then((t) => t.includes('138****5678')), 'masked');
  await act(dispatcher, 'register');
  const unit = await dispatcher.locator('form:has(input[value="dispatch"]) select[name="unit"]').inputValue();
  assert.ok(unit, 'a unit is suggested');
  assert.ok(await dispatcher.locator('p.hint').count(), 'with its reason');
  await act(dispatcher, 'dispatch');

  // Another unit's handler cannot open the case.
  const otherUnit = unit === '110101-city-enforcement' ? '110101-urban-management' : '110101-city-enforcement';
  const stranger = await session(DESK, `handler-${otherUnit}`);
  const refused = await stranger.goto(caseUrl);
  assert.equal(refused.status(), 404);

  // The unit's handler accepts, contacts the resident and reports the result.
  const handler = await session(DESK, `handler-${unit}`);
  await handler.goto(caseUrl);
  await act(handler, 'accept');
  await act(handler, 'contact', { note: '已电话联系群众，约定今晚维修' });
  await act(handler, 'report_handled', { result: '已更换灯泡，路灯恢复照明' });

  // The supervisor closes it.
  const supervisor = await session(DESK, 'supervisor');
  await supervisor.goto(caseUrl);
  await act(supervisor, 'close');
  assert.match(await supervisor.locator('h1 small').innerText(), /已结案/);

  // The resident follows it and rates it.
  await resident.goto(`${base}/track`);
  await resident.fill('#tracking_no', trackingNo);
  await resident.fill('#code', queryCode);
  await Promise.all([resident.waitForNavigation(), resident.click('form button[type="submit"]')]);
  assert.match(await resident.locator('#case-state').innerText(), /已结案/);
  assert.ok((await resident.content()).includes('已更换灯泡，路灯恢复照明'));
  await resident.check('input[name="resolved"][value="yes"]');
  await resident.check('input[name="satisfaction"][value="satisfied"]');
  await Promise.all([resident.waitForNavigation(), resident.click('form button[type="submit"]')]);
  assert.ok((await resident.content()).includes('感谢您的评价'));

  // The dashboard counts the case.
  assert.equal(await dispatchedCount(leader), dispatchedBefore + 1);
});

test('a form error keeps what was typed, beside the field', async () => {
  const page = await session(PHONE);
  await page.goto(`${base}/report/details`);
  await page.fill('#address', '东华门街道多福巷社区5号楼');
  await page.fill('#reporter_phone', '13812345678');
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"]')]);
  assert.equal(response.status(), 422);
  assert.ok(await page.locator('#description-error').isVisible());
  assert.equal(await page.inputValue('#address'), '东华门街道多福巷社区5号楼');
  assert.equal(await page.inputValue('#reporter_phone'), '13812345678');
  assert.equal(await page.getAttribute('#description', 'aria-invalid'), 'true');
});

test('the resident pages fit a phone', async () => {
  const page = await session(PHONE);
  for (const path of ['/', '/report', '/report/details', '/track', '/public']) {
    await page.goto(`${base}${path}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width, `${path} is ${width} px wide`);
  }
  // The language switch is remembered.
  await page.goto(`${base}/`);
  await Promise.all([page.waitForNavigation(), page.click('a[hreflang="en"]')]);
  await page.goto(`${base}/track`);
  assert.match(await page.locator('h1').innerText(), /Track a case/);
});
