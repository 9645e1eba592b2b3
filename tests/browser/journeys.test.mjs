// The loop as people live it, on a 390-px phone and on a desktop: a resident describes the
// problem first and takes the category the platform proposes, reports from where they stand ("use my location", or a refusal that leaves the page usable), is asked once about
// an address that names no street, community or landmark, asks to be texted and follows the
// message's link to add a photo; a dispatcher reveals a reporter
// without leaving the case and can call them, and merges a repeat into the case the platform
// suggests, seeing why; staff read maps that name their landmarks without
// overlapping labels, with a legend and a scale, whose points open their case; a resident
// signs in with a texted code (我的) and finds what they reported.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startDemo } from './server.mjs';

const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };
const WANGFUJING = { latitude: 39.9149, longitude: 116.4109 };
// A 1×1 PNG.
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

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

async function page(viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  return context.newPage();
}

/** A bearer token for a demo account. */
async function bearer(username) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: demo.password }),
  });
  assert.equal(res.status, 200, `log in ${username}`);
  return (await res.json()).token;
}

/** A JSON API call (a POST when there is a body); the answer, which must be a success. */
async function api(path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await res.json();
  assert.ok(res.ok, `${path}: ${JSON.stringify(answer)}`);
  return answer;
}

async function logIn(p, username) {
  await p.goto(`${base}/login`);
  await p.fill('#username', username);
  await p.fill('#password', demo.password);
  await Promise.all([p.waitForNavigation(), p.click('form[action="/login"] button[type="submit"]')]);
}

for (const [size, viewport] of Object.entries(SIZES)) {
  test(`${size}: "use my location" opens the form at the resident's place`, async () => {
    const p = await page(viewport, { geolocation: WANGFUJING, permissions: ['geolocation'] });
    await p.goto(`${base}/report`);
    const button = p.locator('[data-locate-me]');
    assert.ok(await button.isVisible(), 'the button shows where the browser can locate');
    await Promise.all([p.waitForURL(/\/report\/details\?lng=116\.41/), button.click()]);
    assert.match(await p.locator('main').innerText(), /东华门街道/, 'the place is named');
    await p.context().close();
  });

  test(`${size}: a refused position leaves the map and the address`, async () => {
    const p = await page(viewport);
    await p.goto(`${base}/report`);
    await p.locator('[data-locate-me]').click();
    await p.waitForFunction(() => document.getElementById('locate-status').textContent.length > 12);
    assert.match(await p.locator('#locate-status').innerText(), /无法获取位置|not available/);
    assert.ok(p.url().endsWith('/report'), 'still on the map');
    assert.ok(await p.locator('input[type="image"][name="spot"]').isVisible());
    await p.context().close();
  });

  test(`${size}: an address that names no place is questioned once, then sent`, async () => {
    const p = await page(viewport);
    await p.goto(`${base}/report/details`);
    assert.ok((await p.locator('#places option').count()) > 150, 'streets, communities and landmarks suggested');
    await p.fill('#description', '路灯不亮了');
    await p.fill('#address', '北京市东城区');
    await p.check('input[name="anonymous"]');
    await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    assert.match(await p.locator('#address-error').innerText(), /找不到对应的街道、社区或地标/);
    assert.equal(await p.locator('#address').inputValue(), '北京市东城区', 'what was typed stays');
    assert.equal(await p.locator('.note', { hasText: '照片' }).count(), 0, 'no photos to choose again: none were chosen');
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'nothing wider than the screen');
    await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    assert.match(await p.locator('#tracking-no').innerText(), /^\d{14}$/);
    await p.context().close();
  });

  test(`${size}: a resident signs in with a texted code and finds what they reported`, async () => {
    const phone = size === 'phone' ? '13900008001' : '13900008002';
    const masked = `${phone.slice(0, 3)}****${phone.slice(7)}`;
    const p = await page(viewport);
    await p.goto(`${base}/report/details`);
    await p.fill('#description', '小区门口路灯不亮');
    await p.fill('#address', '东华门街道多福巷社区');
    await p.fill('#reporter_phone', phone);
    await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    const trackingNo = (await p.locator('#tracking-no').innerText()).trim();

    await p.goto(`${base}/`);
    await Promise.all([p.waitForNavigation(), p.click('header nav a[href="/me"]')]);
    await p.fill('#phone', phone);
    await Promise.all([p.waitForNavigation(), p.click('form[action="/me/code"] button[type="submit"]')]);
    assert.match(await p.locator('main').innerText(), new RegExp(masked.replace(/\*/g, '\\*')));
    // The development sink writes the text to the server's log.
    const code = await demo.codeFor(masked);
    assert.equal(await p.locator('#code').getAttribute('autocomplete'), 'one-time-code', 'the phone may fill it in');
    await p.fill('#code', code);
    await Promise.all([p.waitForNavigation(), p.click('form[action="/me/sign-in"] button[type="submit"]')]);
    assert.match(await p.locator('#me-phone').innerText(), new RegExp(masked.replace(/\*/g, '\\*')));
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'nothing wider than the screen');
    await Promise.all([p.waitForNavigation(), p.click(`#my-reports a:has-text("${trackingNo}")`)]);
    assert.match(await p.locator('main').innerText(), /小区门口路灯不亮/, 'their case opens without its code');
    await p.context().close();
  });

  test(`${size}: a resident who asked for texts follows the message's link and adds a photo`, async () => {
    const phone = size === 'phone' ? '13900007001' : '13900007002';
    const p = await page(viewport);
    await p.goto(`${base}/report/details`);
    await p.fill('#description', '楼道里堆满杂物，过不去');
    await p.fill('#address', '东华门街道多福巷社区');
    await p.fill('#reporter_phone', phone);
    await p.check('input[name="notify"]');
    await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    const trackingNo = (await p.locator('#tracking-no').innerText()).trim();

    // A dispatcher sends it to the unit the matrix suggests: the resident is texted.
    const dispatcher = await bearer('dispatcher');
    const id = (await api(`/api/v1/cases?text=${trackingNo}`, dispatcher)).cases[0].id;
    await api(`/api/v1/cases/${id}/actions`, dispatcher, { action: 'register' });
    const unit = (await api(`/api/v1/cases/${id}`, dispatcher)).case.suggestion.unit;
    await api(`/api/v1/cases/${id}/actions`, dispatcher, { action: 'dispatch', unit });

    // The administrator reads the development sink: the message names the case and its link.
    const admin = await page(viewport);
    await logIn(admin, 'admin');
    let text = '';
    for (let i = 0; i < 30 && !text.includes('/track?t='); i++) {
      await admin.goto(`${base}/admin/messages?q=${trackingNo}`);
      text = await admin.locator('table.cards tbody').innerText();
      if (!text.includes('/track?t=')) await admin.waitForTimeout(500);
    }
    assert.match(text, new RegExp(`${trackingNo}[\\s\\S]*139\\*{4}700`), 'the case and the masked phone');
    const link = text.match(/http:\/\/\S+\/track\?t=[0-9a-f.]+/)[0];
    await admin.context().close();

    // The link opens the case without the code: what was reported, and a form to add to it.
    const resident = await page(viewport);
    await resident.goto(link);
    assert.equal(await resident.locator('#own-description').innerText(), '楼道里堆满杂物，过不去');
    assert.match(await resident.locator('#case-state').innerText(), /已派遣/);
    await resident.fill('#added-text', '又堆了两箱');
    await resident.setInputFiles('#added-photo', { name: 'more.png', mimeType: 'image/png', buffer: Buffer.from(PIXEL, 'base64') });
    await Promise.all([resident.waitForNavigation(), resident.click('form[action="/track/additions"] button[type="submit"]')]);
    assert.match(await resident.locator('[role="status"]').innerText(), /已补充/);
    assert.match(await resident.locator('.timeline').innerText(), /您补充了情况：又堆了两箱（附照片1张）/);
    // Lazily loaded: brought into view, then read once loaded.
    await resident.locator('.photos img').first().scrollIntoViewIfNeeded();
    await resident.waitForFunction(() => [...document.querySelectorAll('.photos img')].every((i) => i.complete));
    const shown = await resident.locator('.photos img').evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
    assert.deepEqual(shown, [1], 'the photo is served through the link');
    const fits = await resident.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'the tracking page fits the screen');
    await resident.context().close();
    await p.context().close();
  });

  test(`${size}: a handler shows the result in a photo, seen beside the resident's at verification`, async () => {
    const resident = await page(viewport);
    await resident.goto(`${base}/report/details`);
    await resident.selectOption('#category_code', '0102');
    await resident.fill('#description', '小区门口乱堆建筑垃圾');
    await resident.fill('#address', '东华门街道多福巷社区');
    await resident.setInputFiles('#photo', { name: 'before.png', mimeType: 'image/png', buffer: Buffer.from(PIXEL, 'base64') });
    await resident.check('input[name="anonymous"]');
    const submit = () => Promise.all([resident.waitForNavigation(), resident.click('form.stack button[type="submit"]')]);
    await submit();
    // Open reports of the kind nearby are offered to join first; this is a new one.
    if (await resident.locator('#nearby').count()) {
      await resident.setInputFiles('#photo', { name: 'before.png', mimeType: 'image/png', buffer: Buffer.from(PIXEL, 'base64') });
      await submit();
    }
    const trackingNo = (await resident.locator('#tracking-no').innerText()).trim();
    await resident.context().close();

    // Registered and dispatched to the suggested unit; its handler takes it on and calls.
    const dispatcher = await bearer('dispatcher');
    const id = (await api(`/api/v1/cases?text=${trackingNo}`, dispatcher)).cases[0].id;
    await api(`/api/v1/cases/${id}/actions`, dispatcher, { action: 'register' });
    const unit = (await api(`/api/v1/cases/${id}`, dispatcher)).case.suggestion.unit;
    await api(`/api/v1/cases/${id}/actions`, dispatcher, { action: 'dispatch', unit });
    const handlerToken = await bearer(`handler-${unit}`);
    await api(`/api/v1/cases/${id}/actions`, handlerToken, { action: 'accept' });
    await api(`/api/v1/cases/${id}/actions`, handlerToken, { action: 'contact', note: '已电话联系' });

    // On the handler's phone: the result's form asks for a photo and will not go without one.
    const handler = await page(viewport);
    await logIn(handler, `handler-${unit}`);
    await handler.goto(`${base}/cases/${id}`);
    const form = handler.locator('form:has(input[name="action"][value="report_handled"])');
    await handler.locator('details.action summary', { hasText: '办结' }).click();
    assert.equal(await form.getAttribute('enctype'), 'multipart/form-data');
    assert.equal(await form.locator('input[type="file"]').getAttribute('required'), '', 'the photo is required');
    await form.locator('textarea[name="result"]').fill('已清运完毕');
    await form.locator('input[type="file"]').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: Buffer.from(PIXEL, 'base64') });
    await Promise.all([handler.waitForURL(/done=report_handled/), form.locator('button[type="submit"]').click()]);
    await handler.context().close();

    // The supervisor verifying sees the resident's photo and the unit's, each labelled.
    const supervisor = await page(viewport);
    await logIn(supervisor, 'supervisor');
    await supervisor.goto(`${base}/cases/${id}`);
    const captions = await supervisor.locator('#photos figcaption').allInnerTexts();
    assert.deepEqual(captions, ['反映时', '处置后（承办单位）']);
    await supervisor.locator('#photos').scrollIntoViewIfNeeded();
    await supervisor.waitForFunction(() => [...document.querySelectorAll('#photos img')].every((i) => i.complete));
    const widths = await supervisor.locator('#photos img').evaluateAll((imgs) => imgs.map((i) => i.naturalWidth));
    assert.deepEqual(widths, [1, 1], 'both photos load');
    const fits = await supervisor.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'the case page fits the screen');
    await supervisor.context().close();
  });

  test(`${size}: a resident joins an open report of the same problem nearby instead of reporting it again`, async () => {
    // A point of its own for each size, so that each run finds exactly its own report.
    const [lat, lng] = size === 'phone' ? [39.9231, 116.4172] : [39.9236, 116.4178];
    const first = await fetch(`${base}/api/v1/cases`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: '人行道地砖翘起，容易绊倒', category_code: '0303', lat, lng, anonymous: true }),
    });
    const { tracking_no: trackingNo } = await first.json();
    const p = await page(viewport);
    await p.goto(`${base}/report/details?lng=${lng}&lat=${lat}`);
    await p.selectOption('#category_code', '0303');
    await p.fill('#description', '这里地砖坏了');
    await p.fill('#reporter_phone', '13900008888');
    await p.check('input[name="notify"]');
    await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    const offered = p.locator('#nearby');
    assert.ok(await offered.isVisible(), 'open reports of the kind nearby are offered first');
    assert.doesNotMatch(await offered.innerText(), /地砖翘起/, "nothing of the other report's words");
    const join = offered.locator(`form:has(input[value="${trackingNo}"]) button`);
    await Promise.all([p.waitForNavigation(), join.click()]);
    assert.match(await p.locator('#supporters').innerText(), /\b1\b/);
    await Promise.all([p.waitForNavigation(), p.click('#follow')]);
    assert.equal((await p.locator('#supporters').innerText()).trim(), '1');
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'the case page fits the screen');
    await p.context().close();
  });

  test(`${size}: a resident describes the problem first and takes the category the platform proposes`, async () => {
    const [lat, lng] = size === 'phone' ? [39.9281, 116.4032] : [39.9286, 116.4038];
    const p = await page(viewport);
    await p.goto(`${base}/report/details?lng=${lng}&lat=${lat}`);
    await p.fill('#description', '胡同口那盏路灯坏了快一个礼拜了，晚上黑灯瞎火的，老人出门不方便');
    const proposal = p.locator('#category-proposals [data-choose-category]').first();
    await proposal.waitFor();
    assert.match(await proposal.innerText(), /路灯/, 'street lights proposed first');
    assert.match(await p.locator('#category-proposals').innerText(), /依据/, 'with the words that decided');
    await proposal.click();
    assert.equal(await p.locator('#category_code').inputValue(), '0301');
    assert.equal(await proposal.getAttribute('aria-pressed'), 'true');
    await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    if (await p.locator('#nearby').isVisible()) {
      await Promise.all([p.waitForNavigation(), p.click('form.stack button[type="submit"]')]);
    }
    const trackingNo = (await p.locator('#tracking-no').innerText()).trim();
    const dispatcher = await bearer('dispatcher');
    const found = (await api(`/api/v1/cases?text=${trackingNo}`, dispatcher)).cases[0];
    assert.equal(found.category_code, '0301', 'filed as the resident chose');
    await p.context().close();
  });

  test(`${size}: a dispatcher reveals the reporter without leaving the case, and can call them`, async () => {
    const report = await fetch(`${base}/api/v1/cases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        description: '楼道灯坏了', category_code: '0301', address: '东华门街道多福巷社区',
        reporter_name: '李四', reporter_phone: '13900001234',
      }),
    });
    assert.equal(report.status, 201);
    const { id } = await report.json();
    const p = await page(viewport);
    await logIn(p, 'dispatcher');
    await p.goto(`${base}/cases/${id}`);
    assert.doesNotMatch(await p.locator('#reporter').innerText(), /13900001234/, 'masked until revealed');
    await p.fill('#reveal-reason', '回访核实');
    await p.click('#reporter-section button[type="submit"]');
    const call = p.locator('#reporter a[href="tel:13900001234"]');
    await call.waitFor();
    assert.ok(p.url().endsWith(`/cases/${id}`), `still on the case: ${p.url()}`);
    assert.ok(await call.isVisible());
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'the case page fits the screen');
    await p.context().close();
  });

  test(`${size}: a dispatcher merges a repeat into the case the platform suggests, seeing why`, async () => {
    // A point of its own for each size, so that each run's repeat finds its own first report.
    const [lat, lng] = size === 'phone' ? [39.9262, 116.4121] : [39.9268, 116.4127];
    const report = async (description) => {
      const res = await fetch(`${base}/api/v1/cases`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ description, category_code: '0302', lat, lng, anonymous: true }),
      });
      assert.equal(res.status, 201);
      return res.json();
    };
    const first = await report('小区门口的井盖松动了，踩上去咣当响');
    const repeat = await report('门口井盖松了，一踩就响，怕有人掉下去');
    const p = await page(viewport);
    await logIn(p, 'dispatcher');
    await p.goto(`${base}/cases/${repeat.id}`);
    const suggested = p.locator(`#duplicates li:has(a[href="/cases/${first.id}"])`);
    assert.ok(await suggested.isVisible(), 'the first report is suggested');
    assert.match(await suggested.innerText(), /相同：/, 'with what is alike');
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'the case page fits the screen');
    await Promise.all([p.waitForNavigation(), suggested.locator('button[type="submit"]').click()]);
    const dispatcher = await bearer('dispatcher');
    const merged = await api(`/api/v1/cases/${repeat.id}`, dispatcher);
    assert.equal(merged.case.state, 'merged', 'merged in one action');
    assert.match(await p.locator('main').innerText(), new RegExp(first.tracking_no), 'the page names the case it went into');
    await p.context().close();
  });

  test(`${size}: the workbench filters by names and reads on the screen it is on`, async () => {
    const p = await page(viewport);
    await logIn(p, 'dispatcher');
    await p.goto(`${base}/work?queue=to_register`);
    const rows = p.locator('table.cards tbody tr');
    assert.ok((await rows.count()) > 0, 'cases in the queue');
    const display = await rows.first().evaluate((tr) => getComputedStyle(tr).display);
    assert.equal(display, size === 'phone' ? 'block' : 'table-row', 'cards on a phone, a table on a desktop');
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'nothing wider than the screen');
    await p.selectOption('#region', { label: '东华门街道' });
    await Promise.all([p.waitForNavigation(), p.click('form.filters button[type="submit"]')]);
    assert.match(p.url(), /region=110101001/);
    assert.equal(await p.locator('#filter-error').count(), 0);
    await p.goto(`${base}/work?queue=to_register&category=nonsense`);
    assert.match(await p.locator('#filter-error').innerText(), /nonsense/);
    await p.context().close();
  });

  test(`${size}: a grid worker clicks the patrol report's place on a map of their grids`, async () => {
    const p = await page(viewport);
    await logIn(p, 'gridworker');
    await p.goto(`${base}/patrol`);
    await p.fill('#description', '井盖松动');
    const map = p.locator('input[type="image"][name="spot"]');
    const box = await map.boundingBox();
    await Promise.all([p.waitForNavigation(), map.click({ position: { x: box.width / 2, y: box.height / 3 } })]);
    assert.match(await p.locator('#patrol-place').innerText(), /已选位置|Place chosen/);
    assert.match(await p.locator('#lat').inputValue(), /^39\.9/);
    assert.equal(await p.locator('#description').inputValue(), '井盖松动', 'what was typed stays');
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'the form fits the screen');
    await p.context().close();
  });

  test(`${size}: the grid page and administration read on the screen they are on`, async () => {
    for (const [who, path] of [['gridworker', '/grids/110101001001001'], ['admin', '/admin/users']]) {
      const p = await page(viewport);
      await logIn(p, who);
      await p.goto(`${base}${path}`);
      const row = p.locator('table.cards tbody tr').first();
      const display = await row.evaluate((tr) => getComputedStyle(tr).display);
      assert.equal(display, size === 'phone' ? 'block' : 'table-row', `${path}: cards on a phone`);
      const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(fits, `${path}: nothing wider than the screen`);
      await p.context().close();
    }
  });

  test(`${size}: the staff map names landmarks without overlaps, and a point opens its case`, async () => {
    const p = await page(viewport);
    await logIn(p, 'supervisor');
    await p.goto(`${base}/map`);
    const svg = p.locator('svg.map').first();
    assert.ok((await svg.locator('path.landmark').count()) >= 8, 'the landmarks are marked');
    assert.ok(await svg.locator('g.north').count(), 'north is marked');
    assert.match(await svg.locator('g.legend').textContent(), /\d+ k?m/, 'a scale bar');
    assert.match(await svg.locator('g.legend').textContent(), /界线为示意/, 'the lines are said to be approximate');
    const boxes = await svg.locator('g.labels text').evaluateAll((texts) =>
      texts.map((t) => { const b = t.getBBox(); return { text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height }; }));
    assert.ok(boxes.length >= 10, `labels drawn: ${boxes.length}`);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;
        assert.ok(!overlap, `${a.text} and ${b.text} overlap`);
      }
    }
    const dot = svg.locator('a.dot').first();
    const href = await dot.getAttribute('href');
    assert.match(href, /^\/cases\/[0-9a-f-]{36}$/);
    await p.goto(`${base}${href}`);
    assert.match(await p.locator('h1').innerText(), /\d{14}/, 'the case page');
    const spot = p.locator('svg.map').first();
    assert.ok((await spot.locator('g.labels text').count()) >= 1, 'the case map names its surroundings');
    await p.context().close();
  });
}
