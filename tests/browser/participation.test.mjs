// Residents' participation on a 390-px phone: a resident signs in, asks for their household,
// the grid worker confirms it on the households' page, and the resident finds the community's
// open vote under 我的 and casts a ballot (secret: the page says only that it was received);
// staff hold a vote from the votes' page and mark a paper voter on the vote's run page; a
// resident proposes on a topic and supports a neighbour's proposal; staff hold a council,
// record its minutes and follow its decision as a task anyone reads; a resident answers a
// survey that asks them, found under 我的.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

const PHONE = { width: 390, height: 844 };
const COMMUNITY = '110101001001';

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

test('a resident links their household, the grid worker confirms it, and the resident votes', async () => {
  const phone = '13900009001';
  const masked = '139****9001';
  const resident = await phonePage();
  await resident.goto(`${base}/me`);
  await resident.fill('#phone', phone);
  await Promise.all([resident.waitForNavigation(), resident.click('form[action="/me/code"] button[type="submit"]')]);
  await resident.fill('#code', await demo.codeFor(masked));
  await Promise.all([resident.waitForNavigation(), resident.click('form[action="/me/sign-in"] button[type="submit"]')]);
  await resident.selectOption('#community', COMMUNITY);
  await resident.fill('#label', '8号楼1单元202');
  await Promise.all([resident.waitForNavigation(), resident.click('#ask-household button[type="submit"]')]);
  assert.equal(await resident.locator('#my-household').getAttribute('data-state'), 'requested');
  await fitsTheScreen(resident, '我的');

  const worker = await phonePage();
  await logIn(worker, 'gridworker');
  await worker.goto(`${base}/households`);
  const row = worker.locator('#waiting tr', { hasText: masked });
  assert.equal(await row.count(), 1, 'the request waits for the grid worker');
  await Promise.all([worker.waitForNavigation(), row.locator('button', { hasText: '确认' }).click()]);
  assert.match(await worker.locator('#households-done').innerText(), /已确认/);
  assert.match(await worker.locator('#linked').innerText(), /139\*\*\*\*9001 · .*8号楼1单元202/);
  await worker.context().close();

  await resident.reload();
  assert.equal(await resident.locator('#my-household').getAttribute('data-state'), 'confirmed');
  await Promise.all([resident.waitForNavigation(), resident.click('#my-votes a:has-text("小区停车位划线方案")')]);
  await fitsTheScreen(resident, 'the vote');
  await resident.check('#ballot input[name="choice"][value="1"]');
  await Promise.all([resident.waitForNavigation(), resident.click('#ballot button[type="submit"]')]);
  assert.match(await resident.locator('#vote-cast').innerText(), /已收到/);
  assert.equal(await resident.locator('#ballot').count(), 0, 'no second ballot');
  assert.equal(await resident.locator('#vote-counts').count(), 0, 'no running count while the vote is open');
  await resident.context().close();
});

test('staff hold a vote and mark a paper voter', async () => {
  const p = await phonePage();
  await logIn(p, 'supervisor');
  await p.goto(`${base}/votes`);
  await p.selectOption('#region', COMMUNITY);
  await p.fill('#title', '楼道堆物清理时间');
  await p.fill('#body', '统一清理楼道杂物，请选择方便的时间');
  await p.fill('#options', '本周六上午\n本周日上午');
  const beijing = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16);
  await p.fill('#opens_at', beijing(Date.now()));
  await p.fill('#closes_at', beijing(Date.now() + 3 * 86400e3));
  await fitsTheScreen(p, 'the votes page');
  await Promise.all([p.waitForNavigation(), p.click('#hold-vote button[type="submit"]')]);
  assert.match(p.url(), /\/votes\/[0-9a-f-]+\/run$/);
  assert.equal(await p.locator('#run-phase').getAttribute('data-phase'), 'open');
  await p.fill('#label', '5号楼2单元602');
  await Promise.all([p.waitForNavigation(), p.click('#paper-voter button[type="submit"]')]);
  assert.match(await p.locator('#run-done').innerText(), /已登记/);
  assert.equal(await p.locator('#run-paper-voters').innerText(), '1');
  await p.context().close();
});

test('a resident proposes on a topic and supports a neighbour\'s proposal', async () => {
  const phone = '13900009002';
  const masked = '139****9002';
  const p = await phonePage();
  await p.goto(`${base}/me`);
  await p.fill('#phone', phone);
  await Promise.all([p.waitForNavigation(), p.click('form[action="/me/code"] button[type="submit"]')]);
  await p.fill('#code', await demo.codeFor(masked));
  await Promise.all([p.waitForNavigation(), p.click('form[action="/me/sign-in"] button[type="submit"]')]);
  // The grid worker, who knows the household, links the resident by number.
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'gridworker', password: demo.password }),
  });
  const { token } = await login.json();
  const linked = await fetch(`${base}/api/v1/households/links`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phone, grid_code: `${COMMUNITY}001`, label: '8号楼2单元301' }),
  });
  assert.equal(linked.status, 201, await linked.text());

  await p.goto(`${base}/topics`);
  await Promise.all([p.waitForNavigation(), p.click('#topics a:has-text("夜间照明不足")')]);
  await fitsTheScreen(p, 'the topic');
  assert.match(await p.locator('#proposals').innerText(), /已列入议程/, 'the proposal past the threshold is on the agenda');
  await p.fill('#p-title', '东门装感应灯');
  await p.fill('#p-body', '人来灯亮，夜里不扰民');
  await Promise.all([p.waitForNavigation(), p.click('#propose button[type="submit"]')]);
  assert.match(await p.locator('#proposals').innerText(), /东门装感应灯/);
  const neighbours = p.locator('#proposals li', { hasText: '修剪遮挡路灯的树枝' });
  const before = Number(await neighbours.locator('.supports').getAttribute('data-supports'));
  await Promise.all([p.waitForNavigation(), neighbours.locator('button', { hasText: '支持' }).click()]);
  const after = p.locator('#proposals li', { hasText: '修剪遮挡路灯的树枝' });
  assert.equal(Number(await after.locator('.supports').getAttribute('data-supports')), before + 1);
  assert.match(await after.innerText(), /您已支持/);
  await p.context().close();
});

test('staff hold a council and turn its decision into a task followed in public', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await context.newPage();
  await logIn(p, 'supervisor');
  await p.goto(`${base}/meetings`);
  await p.selectOption('#region', COMMUNITY);
  await p.fill('#title', '临时居民议事会');
  await p.fill('#place', '社区活动室');
  const beijing = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16);
  await p.fill('#starts_at', beijing(Date.now() + 86400e3));
  await p.check('#plan-meeting input[name="topic"] >> nth=0');
  await p.selectOption('#plan-meeting select[name="participant_kind"] >> nth=0', 'representative');
  await p.fill('#plan-meeting input[name="participant_label"] >> nth=0', '7号楼居民代表');
  await p.selectOption('#plan-meeting select[name="participant_kind"] >> nth=1', 'property');
  await p.fill('#plan-meeting input[name="participant_label"] >> nth=1', '物业服务中心');
  await Promise.all([p.waitForNavigation(), p.click('#plan-meeting button[type="submit"]')]);
  assert.match(await p.locator('h1').innerText(), /临时居民议事会通知/);
  assert.match(await p.locator('#print-link').getAttribute('href'), /\/print$/, 'the notice prints');

  await p.check('#record-minutes input[name="attended"] >> nth=0');
  await p.check('#record-minutes input[name="attended"] >> nth=1');
  await p.fill('#minutes-text', '议定设置电动自行车集中充电点。');
  await p.fill('#decision_0', '设置集中充电点');
  await p.selectOption('#owner_kind_0', 'organisation');
  await p.fill('#owner_0', '物业服务中心');
  const day = new Date(Date.now() + 30 * 86400e3 + 8 * 3600e3).toISOString().slice(0, 10);
  await p.fill('#deadline_0', day);
  // A fourth decision, added in place: what was typed stays, the new row is empty.
  assert.equal(await p.locator('#decision_3').count(), 0);
  await p.click('[data-add-row="decision-rows"]');
  assert.equal(await p.locator('#decision_0').inputValue(), '设置集中充电点');
  assert.equal(await p.locator('#decision_3').inputValue(), '');
  assert.equal(await p.locator('label[for="owner_3"]').count(), 1, 'its labels follow');
  await p.fill('#decision_3', '车棚外道路照明');
  await p.selectOption('#owner_kind_3', 'unit');
  await p.fill('#owner_3', '东城区城市管理委员会');
  await p.fill('#deadline_3', day);
  await Promise.all([p.waitForNavigation(), p.click('#record-minutes button[type="submit"]')]);
  assert.match(await p.locator('h1').innerText(), /会议纪要/);
  assert.match(await p.locator('#decisions').innerText(), /车棚外道路照明 · 职能部门、单位 · 东城区城市管理委员会/);
  await Promise.all([p.waitForNavigation(), p.click('#decisions a:has-text("设置集中充电点")')]);
  assert.equal(await p.locator('#decision-progress').getAttribute('data-progress'), 'underway');
  await p.fill('#note', '已选定车棚东侧');
  await p.fill('#percent', '40');
  await Promise.all([p.waitForNavigation(), p.click('#report-progress button[type="submit"]')]);
  assert.match(await p.locator('#decision-progress').innerText(), /40%/);
  assert.match(await p.locator('#updates').innerText(), /已选定车棚东侧/);

  // Anyone follows it.
  const anyone = await browser.newPage();
  await anyone.goto(`${base}/decisions`);
  assert.match(await anyone.locator('#decisions').innerText(), /设置集中充电点/);
  await anyone.close();
  await context.close();
});

test('a resident answers a survey on a phone', async () => {
  const phone = '13900009003';
  const p = await phonePage();
  await p.goto(`${base}/me`);
  await p.fill('#phone', phone);
  await Promise.all([p.waitForNavigation(), p.click('form[action="/me/code"] button[type="submit"]')]);
  await p.fill('#code', await demo.codeFor('139****9003'));
  await Promise.all([p.waitForNavigation(), p.click('form[action="/me/sign-in"] button[type="submit"]')]);
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'gridworker', password: demo.password }),
  });
  const { token } = await login.json();
  const linked = await fetch(`${base}/api/v1/households/links`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phone, grid_code: `${COMMUNITY}001`, label: '8号楼2单元302' }),
  });
  assert.equal(linked.status, 201, await linked.text());
  await p.reload();
  await Promise.all([p.waitForNavigation(), p.click('#my-surveys a:has-text("路灯落实情况回访")')]);
  await fitsTheScreen(p, 'the survey');
  await p.check('#answer-survey input[name="q0"][value="5"]');
  await p.check('#answer-survey input[name="q1"][value="0"]');
  await p.fill('#answer-survey textarea[name="q2"]', '灯装好后亮多了');
  await Promise.all([p.waitForNavigation(), p.click('#answer-survey button[type="submit"]')]);
  assert.match(await p.locator('#survey-answered').innerText(), /已收到/);
  assert.equal(await p.locator('#answer-survey').count(), 0, 'answered once');
  await p.context().close();
});
