// The dashboard of a running `rig serve` (the demo's), in Debian's headless
// Chromium driven by playwright-core. Unlike browser.mjs, which checks
// crafted corner cases on a filled store, this one knows nothing in advance:
// it finds the pages from the daemon's own API and checks that every one of
// them loads without a script error, that each board's size chart has
// points, and that the change of a branch named <script>alert(1)</script>
// shows it as text. Emits TAP.
//
//   node demo-pages.mjs BASE_URL SCREENSHOT_DIR XSS_REF
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [rawBase, shots, xssRef] = process.argv.slice(2);
const base = rawBase.replace(/\/$/, '');
let n = 0;
let failed = 0;
const lines = [];

function ok(cond, name, detail) {
	n++;
	lines.push(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
	if (!cond) {
		failed = 1;
		for (const l of String(detail ?? '').split('\n'))
			lines.push(`# ${l}`);
	}
}

async function api(p) {
	const res = await fetch(base + p);
	if (res.status !== 200)
		throw new Error(`GET ${p}: ${res.status}`);
	return res.json();
}

// The pages, found from the API: every change, and for one change of each
// verdict its case history, one run log and one build log; every board's
// size history; the lists.
const pages = [['changes', '/'], ['sizes', '/sizes'], ['rack', '/rack']];
const changes = (await api('/api/changes')).changes;
let xss = null;
const seen = new Set();
for (const c of changes) {
	pages.push([`change-${c.id}`, c.url]);
	if (c.ref === xssRef)
		xss = c;
	const verdict = c.gate || c.state;
	if (seen.has(verdict))
		continue;
	seen.add(verdict);
	const detail = await api(`/api/changes/${c.id}`);
	const row = (detail.matrix?.rows || [])[0];
	if (row) {
		pages.push([`case-${c.id}`, `/cases/${encodeURIComponent(row.suite)}/${encodeURIComponent(row.case)}`]);
		const cell = row.cells.find((x) => x && x.log_url);
		if (cell)
			pages.push([`run-${c.id}`, cell.log_url]);
	}
	if (detail.logs?.length)
		pages.push([`build-log-${c.id}`, detail.logs[0].url]);
}
const boards = (await api('/api/boards')).boards;
for (const b of boards)
	pages.push([`size-history-${b}`, `/sizes/${encodeURIComponent(b)}`]);

fs.mkdirSync(shots, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rig-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	viewport: { width: 1280, height: 900 },
});
const dialogs = [];
const errors = [];
context.on('page', (p) => {
	p.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
	p.on('console', (m) => { if (m.type() === 'error') errors.push(`${p.url()}: ${m.text()}`); });
});

try {
	const page = await context.newPage();
	ok(changes.length > 0 && boards.length > 0, `the daemon lists ${changes.length} changes and ${boards.length} boards`);
	for (const [name, url] of pages) {
		try {
			const before = errors.length;
			const res = await page.goto(base + url, { waitUntil: 'load' });
			const h1 = await page.locator('h1').first().textContent();
			await page.waitForTimeout(name.startsWith('size-history') ? 800 : 150);
			await page.screenshot({ path: path.join(shots, `demo-${name}.png`), fullPage: true });
			ok(res.status() === 200 && h1 && errors.length === before, `page ${name} loads (${url})`,
			   `status ${res.status()}, h1 ${JSON.stringify(h1)}, errors: ${errors.slice(before).join('; ')}`);
		} catch (e) {
			ok(false, `page ${name} loads (${url})`, e.stack || e);
		}
	}
	for (const b of boards) {
		try {
			await page.goto(`${base}/sizes/${encodeURIComponent(b)}`);
			await page.waitForSelector('.chart[data-points]', { timeout: 10000 });
			const points = Number(await page.getAttribute('.chart', 'data-points'));
			const series = await page.evaluate(() => {
				const u = document.querySelector('.chart').uplot;
				return u ? u.data[1].filter((v) => v != null).length : 0;
			});
			ok(points >= 1 && series === points, `the size chart of ${b} has points`, `points ${points}, drawn ${series}`);
		} catch (e) {
			ok(false, `the size chart of ${b} has points`, e.stack || e);
		}
	}
	try {
		ok(xss !== null, `a change of the branch ${xssRef} is listed`);
		if (xss) {
			await page.goto(base + xss.url);
			const h1 = await page.locator('h1').textContent();
			await page.goto(`${base}/`);
			const listed = await page.locator('td.ref a', { hasText: xssRef }).count();
			const inline = await page.evaluate(() => [...document.scripts].filter((s) => !s.src).length);
			await page.waitForTimeout(300);
			ok(h1.includes(xssRef) && listed === 1 && inline === 0 && dialogs.length === 0,
			   `the branch ${xssRef} shows as text; no dialog fires`,
			   `h1 ${h1}; listed ${listed}; inline scripts ${inline}; dialogs ${dialogs}`);
		}
	} catch (e) {
		ok(false, `the branch ${xssRef} shows as text`, e.stack || e);
	}
	ok(errors.length === 0, 'no script errors on any page', errors.join('\n'));
} finally {
	await context.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`1..${n}`);
for (const l of lines)
	console.log(l);
process.exit(failed);
