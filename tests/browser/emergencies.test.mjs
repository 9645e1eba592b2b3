// 应急管理: during the demo's gas-leak drill a grid worker checks the households of their grid
// on a 390-px phone, a small form per household answered in place, while the command page on a
// desk follows the progress without being reloaded; and a supervisor opens a drill over an area
// drawn on the map with three clicks.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

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

async function signedIn(username, viewport) {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', demo.password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  return page;
}

const checkedNow = async (page) => Number(await page.locator('#progress-total strong').first().innerText());

test('a grid worker checks households on a phone while the command page follows', async () => {
  const command = await signedIn('supervisor', { width: 1280, height: 900 });
  await command.goto(`${base}/incidents`);
  await Promise.all([command.waitForNavigation(), command.click('#incidents a:has-text("燃气泄漏疏散演练")')]);
  const before = await checkedNow(command);
  assert.ok(before > 0, 'the drill is under way');
  // Set once: gone if the page were loaded again.
  await command.evaluate(() => { window.notReloaded = true; });

  const phone = await signedIn('gridworker', { width: 390, height: 844 });
  await phone.goto(`${base}/incidents`);
  await Promise.all([phone.waitForNavigation(), phone.click('#incidents a.button >> nth=0')]);
  assert.match(await phone.locator('#check-count').innerText(), /0 \//, 'the first grid is left to check');
  const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, 'nothing wider than the screen');

  const households = phone.locator('#households li.household');
  const first = households.nth(0);
  const firstId = await first.getAttribute('id');
  await first.locator('button[value="safe"]').click();
  await phone.waitForSelector(`#${firstId}[data-status="safe"]`);
  const second = households.nth(1);
  const secondId = await second.getAttribute('id');
  await second.locator('input[name="note"]').fill('老人腿脚不便，需协助撤离');
  await second.locator('button[value="needs_help"]').click();
  await phone.waitForSelector(`#${secondId}[data-status="needs_help"]`);
  assert.ok(phone.url().includes('/check?grid='), 'answered in place, still on the check page');
  // A household's answer changed: its form answers in place again.
  await phone.locator(`#${firstId} button[value="moved_out"]`).click();
  await phone.waitForSelector(`#${firstId}[data-status="moved_out"]`);

  // Within two refreshes (every 5 s) the command page counts both, without a reload.
  await command.waitForFunction(
    (expected) => Number(document.querySelector('#progress-total strong')?.textContent) >= expected,
    before + 2,
    { timeout: 15000 },
  );
  assert.equal(await command.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.equal(await checkedNow(command), before + 2);

  // The household needing help is a task of the plan's list once the page is read again.
  await command.reload();
  assert.match(await command.locator('#tasks').innerText(), /入户帮扶/);
});

test("a supervisor draws an incident's area on the map", async () => {
  const command = await signedIn('supervisor', { width: 1280, height: 900 });
  await command.goto(`${base}/incidents`);
  const map = command.locator('#area-map svg');
  await map.waitFor();
  const box = await map.boundingBox();
  for (const [x, y] of [[0.3, 0.3], [0.7, 0.3], [0.5, 0.7]]) {
    await map.click({ position: { x: box.width * x, y: box.height * y } });
  }
  const corners = (await command.inputValue('#polygon')).split(';');
  assert.equal(corners.length, 3, 'three corners');
  for (const corner of corners) {
    const [lng, lat] = corner.split(',').map(Number);
    assert.ok(lng > 116.3 && lng < 116.5 && lat > 39.8 && lat < 40.0, `a corner in 东城区: ${corner}`);
  }
  assert.ok((await command.locator('#area-map polygon.drawn').getAttribute('points')).split(' ').length === 3, 'drawn');
  await command.selectOption('#kind', 'extreme_weather');
  await command.fill('#title', '大风蓝色预警演练');
  await command.check('input[name="drill"]');
  await Promise.all([command.waitForNavigation(), command.click('#open-incident button[type="submit"]')]);
  assert.match(command.url(), /\/incidents\/[0-9a-f-]{36}$/);
  assert.ok(await command.locator('#progress-grids tbody tr').count() > 0, 'the grids inside the drawn area');
  assert.match(await command.locator('#tasks').innerText(), /广告牌/, 'the plan of extreme weather');
});
