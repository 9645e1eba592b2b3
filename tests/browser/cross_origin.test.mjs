// A page on another origin (another port of the same host: "same site" to the browser, so the
// SameSite=Lax cookie goes with its requests) tries, in a logged-in staff member's Chromium,
// what an attacker did: download every reporter in full through a link, post the revealed
// export and a reveal by forms, create a case through the patrol API and log the victim out
// with fetch. Nothing may reveal, create or end anything, and no reveal may be audited.
//
// Run by .ci/run: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchChromium, startDemo } from './server.mjs';

let demo, browser, foreign, foreignBase;

/** The attacker's page, aimed at `target`. */
function attackerPage(target, caseId) {
  return `<!doctype html><html><body>
<a id="link" href="${target}/api/v1/export/cases?reveal=true&amp;reason=attack">export</a>
<form id="export" method="post" action="${target}/api/v1/export/cases?format=csv" enctype="text/plain" target="sink1">
  <input name='{"reason":"attack","confirm":true,"x":"' value='"}'></form>
<form id="reveal" method="post" action="${target}/cases/${caseId}/reveal" target="sink2">
  <input name="reason" value="attack"></form>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<script>
  window.results = {};
  async function attack() {
    const form = new FormData();
    form.append('description', '伪造的上报');
    form.append('category_code', '0301');
    form.append('address', '东华门街道多福巷社区');
    for (const [name, url, body] of [
      ['patrol', '${target}/api/v1/patrol', form],
      ['logout', '${target}/api/v1/auth/logout', null],
    ]) {
      try {
        await fetch(url, { method: 'POST', credentials: 'include', mode: 'no-cors', body });
        window.results[name] = 'sent';
      } catch (e) { window.results[name] = String(e); }
    }
    document.getElementById('export').submit();
    document.getElementById('reveal').submit();
  }
</script></body></html>`;
}

async function api(path, token, init = {}) {
  const res = await fetch(`${demo.base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.text() };
}

async function token(username) {
  const res = await fetch(`${demo.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: demo.password }),
  });
  assert.equal(res.status, 200, `log in ${username}`);
  return (await res.json()).token;
}

before(async () => {
  demo = await startDemo();
  browser = await launchChromium();
  foreign = createServer((req, res) => {
    const caseId = new URL(req.url, 'http://x').searchParams.get('case') ?? '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(attackerPage(demo.base, caseId));
  });
  await new Promise((ok) => foreign.listen(0, '127.0.0.1', ok));
  foreignBase = `http://127.0.0.1:${foreign.address().port}`;
});

after(async () => {
  await browser?.close();
  foreign?.close();
  demo?.stop();
});

async function loggedIn(username) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${demo.base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', demo.password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  assert.ok(!page.url().includes('/login'), `${username} logged in`);
  const seen = [];
  page.on('response', (r) => {
    if (r.url().startsWith(demo.base) && r.request().method() === 'POST') {
      seen.push({ path: new URL(r.url()).pathname, status: r.status() });
    }
  });
  return { context, page, seen };
}

/** Opens the attacker's page in the victim's browser and lets it do its worst. */
async function visitAttacker(page, caseId) {
  await page.goto(`${foreignBase}/?case=${caseId}`);
  await page.evaluate(() => window.attack());
  await page.waitForFunction(() => Object.keys(window.results).length === 2);
  await page.waitForTimeout(1000);
}

function assertRefused(seen, paths) {
  for (const path of paths) {
    const answer = seen.find((s) => s.path === path);
    assert.ok(answer, `${path} was attempted: ${JSON.stringify(seen.map((s) => s.path))}`);
    assert.equal(answer.status, 403, `${path} is refused from another origin`);
    // The victims have the right to each of these, so a 403 is the origin check's (the body
    // cannot be read: a no-cors fetch is opaque, and the forms' frames may not be framed).
  }
}

test('a page on another origin cannot reveal, create or log out with the staff cookie', async () => {
  const dispatcher = await token('dispatcher');
  const admin = await token('admin');
  // A case with a named reporter, so that the case page offers the reveal (other test files
  // may add anonymous cases while this one runs).
  const listed = JSON.parse((await api('/api/v1/cases?limit=50', dispatcher)).body).cases;
  const caseId = listed.find((c) => !c.reporter.anonymous).id;
  const countsBefore = JSON.parse((await api('/api/v1/stats/rates', dispatcher)).body).counts;

  // A grid worker's browser: a case through the patrol API, and the log-out.
  const worker = await loggedIn('gridworker');
  await visitAttacker(worker.page, caseId);
  assertRefused(worker.seen, ['/api/v1/patrol', '/api/v1/auth/logout']);
  await worker.page.goto(`${demo.base}/patrol`);
  assert.ok(!worker.page.url().includes('/login'), 'the grid worker is still logged in');
  await worker.context.close();

  // A dispatcher's browser: every reporter in full, through a link and through forms.
  const victim = await loggedIn('dispatcher');
  await victim.page.goto(`${foreignBase}/?case=${caseId}`);
  const [followed] = await Promise.all([
    victim.page.waitForEvent('response', (r) => r.url().includes('/api/v1/export/cases')),
    victim.page.click('#link'),
  ]);
  assert.equal(followed.status(), 422, 'a link (a GET) reveals nothing: reveal is not one of its parameters');
  await visitAttacker(victim.page, caseId);
  assertRefused(victim.seen, ['/api/v1/export/cases', `/cases/${caseId}/reveal`, '/api/v1/auth/logout']);

  const countsAfter = JSON.parse((await api('/api/v1/stats/rates', dispatcher)).body).counts;
  assert.deepEqual(countsAfter, countsBefore, 'no case was created');
  const reveals = JSON.parse((await api('/api/v1/audit?action=reveal', admin)).body).entries;
  assert.equal(reveals.filter((e) => e.detail?.reason === 'attack').length, 0, "no reveal with the attacker's reason");

  // From the site itself the same reveal works, and is audited.
  await victim.page.goto(`${demo.base}/cases/${caseId}`);
  const form = victim.page.locator(`form[action="/cases/${caseId}/reveal"]`);
  await form.locator('[name="reason"]').fill('回访核实');
  // Sent by the page's script, without leaving the page.
  const [revealed] = await Promise.all([
    victim.page.waitForResponse((r) => r.url().endsWith(`/cases/${caseId}/reveal`)),
    form.locator('button[type="submit"]').click(),
  ]);
  assert.equal(revealed.status(), 200);
  const audited = JSON.parse((await api('/api/v1/audit?action=reveal', admin)).body).entries;
  assert.ok(audited.some((e) => e.detail?.reason === '回访核实'), 'the reveal from the site is audited');
  await victim.context.close();
});
