// 通报: a leader opens last month's bulletin of the district that the demo's schedule made,
// then downloads its PDF and its workbook from the page and opens both: pdf.js reads the PDF's
// text (the readers' own Song font through its CMap, as a PDF viewer would) and the workbook's
// sheet is read from its zip. Every number the page shows is in both, the same.
//
// Run by .ci/run with the others: `npm test` here, with GRASSROOTS_BIN naming the built binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
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

const require = createRequire(import.meta.url);
const pdfjsRoot = path.dirname(require.resolve('pdfjs-dist/package.json'));

/** The text of every page of a PDF, as pdf.js lays it out. */
async function pdfText(bytes) {
  const pdfjs = await import(path.join(pdfjsRoot, 'legacy/build/pdf.mjs'));
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(bytes),
    cMapUrl: path.join(pdfjsRoot, 'cmaps') + '/',
    cMapPacked: true,
    standardFontDataUrl: path.join(pdfjsRoot, 'standard_fonts') + '/',
    disableFontFace: true,
    useSystemFonts: false,
  }).promise;
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(content.items.map((item) => item.str));
  }
  return pages.flat();
}

/** The files of a zip archive (an .xlsx is one), by name: its central directory read, each
 * entry stored or deflated. */
function unzip(buffer) {
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'a zip archive');
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  const files = {};
  for (let i = 0; i < count; i++) {
    const method = buffer.readUInt16LE(at + 10);
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extra = buffer.readUInt16LE(at + 30);
    const comment = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

/** The cells of the workbook's first sheet as text: numbers as written, strings resolved. */
function sheetCells(files) {
  const strings = [...(files['xl/sharedStrings.xml'] ?? '').matchAll(/<si>(.*?)<\/si>/gs)]
    .map((m) => [...m[1].matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join(''));
  return [...files['xl/worksheets/sheet1.xml'].matchAll(/<c ([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)].map((m) => {
    const value = (m[2] ?? '').match(/<v>(.*?)<\/v>/)?.[1];
    return /t="s"/.test(m[1]) ? strings[Number(value)] : value;
  });
}

/** The number a page's cell shows, as the workbook keeps it (a share as a fraction). */
function asNumber(shown) {
  if (shown.endsWith('%')) return Number(shown.slice(0, -1)) / 100;
  return Number(shown);
}

test('a leader opens the bulletin, its PDF and its workbook, and they say the same', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', 'leader');
  await page.fill('#password', demo.password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  await page.goto(`${base}/bulletins`);
  await Promise.all([page.waitForNavigation(), page.click('#bulletins a:has-text("东城区月通报")')]);
  const title = await page.locator('#bulletin-title').innerText();
  assert.match(title, /^东城区月通报（\d{4}-\d{2}-01至\d{4}-\d{2}-\d{2}）$/);
  const shown = await page.$$eval('table.bulletin-table td', (cells) => cells.map((c) => c.textContent.trim()));
  const numbers = shown.filter((s) => /^[+-]?\d+(\.\d+)?%?$/.test(s));
  assert.ok(numbers.length > 20, `the page shows its numbers: ${numbers.length}`);
  const names = shown.filter((s) => /[\u4e00-\u9fff]/.test(s));

  const [pdfDownload] = await Promise.all([page.waitForEvent('download'), page.click('#bulletin-pdf')]);
  assert.match(pdfDownload.suggestedFilename(), /^110101-month-\d{4}-\d{2}-01\.pdf$/);
  const pdf = readFileSync(await pdfDownload.path());
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const text = await pdfText(pdf);
  assert.ok(text.includes(title), `the PDF's title: ${text.slice(0, 3)}`);
  for (const s of [...numbers, ...names]) {
    assert.ok(text.includes(s), `the PDF shows ${s}`);
  }

  const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.click('#bulletin-xlsx')]);
  assert.match(xlsxDownload.suggestedFilename(), /\.xlsx$/);
  const cells = sheetCells(unzip(readFileSync(await xlsxDownload.path())));
  assert.ok(cells.includes(title), 'the workbook\'s title');
  const kept = cells.filter((c) => c !== undefined && /^-?\d/.test(c)).map(Number);
  for (const s of numbers) {
    const n = asNumber(s);
    assert.ok(kept.some((k) => Math.abs(k - n) < 1e-9), `the workbook keeps ${s} (${n})`);
  }
  for (const s of names) {
    assert.ok(cells.includes(s), `the workbook names ${s}`);
  }
  await context.close();
});
