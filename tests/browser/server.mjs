// Starts the demo on a free port in a fresh data directory, and Debian's chromium, for the
// browser tests.

import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = process.env.GRASSROOTS_BIN ?? resolve(import.meta.dirname, '../../target/debug/grassroots');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

async function waitForServer(url, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not come up at ${url}`);
}

/** The demo platform, serving; `stop()` ends it and removes its data. */
export async function startDemo() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'grassroots-browser-'));
  const server = spawn(BIN, ['--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--public-burst', '500', 'demo'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Kept: the development sink writes residents' sign-in codes to the log.
  let log = '';
  server.stdout.on('data', (chunk) => {
    log += chunk;
  });
  await waitForServer(base, 180);
  return {
    base,
    password: 'grassroots-demo',
    /** The server's log so far. */
    log: () => log,
    /** The newest sign-in code the development sink logged for a masked number (138****8000). */
    async codeFor(masked) {
      for (let i = 0; i < 20; i++) {
        const line = log.split('\n').reverse().find((l) => l.includes(masked) && l.includes('验证码为'));
        const code = line?.match(/验证码为(\d{6})/)?.[1];
        if (code) return code;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no code was texted to ${masked}`);
    },
    stop() {
      server.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium, headless; nothing is downloaded. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
