// Browser tests of the dashboard, in Debian's headless Chromium driven by
// playwright-core (no browser is downloaded). Emits TAP.
//
//   node browser.mjs BASE_URL SCREENSHOT_DIR
// with the ids dash-fill printed in the environment (CHANGE_FAIL, CHANGE_XSS,
// JOB_RUNNING, JOB_RUNNING_LOG, JOB_DONE), and CHROMIUM (default
// /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, shots] = process.argv.slice(2);
const env = process.env;
let n = 0;
let failed = 0;

function ok(cond, name, detail) {
	n++;
	if (cond) {
		console.log(`ok ${n} - ${name}`);
	} else {
		failed = 1;
		console.log(`not ok ${n} - ${name}`);
		if (detail)
			for (const l of String(detail).split('\n'))
				console.log(`# ${l}`);
	}
}

async function attempt(name, fn) {
	try {
		await fn();
	} catch (e) {
		ok(false, name, e.stack || e);
	}
}

const pages = [
	['changes', '/'],
	['changes-failed', '/changes?gate=fail'],
	['change', `/changes/${env.CHANGE_FAIL}`],
	['change-xss', `/changes/${env.CHANGE_XSS}`],
	['case-history', '/cases/ipc/notify'],
	['sizes', '/sizes'],
	['size-history', '/sizes/vm-rv'],
	['rack', '/rack'],
	['log-running', `/runs/${env.JOB_RUNNING}`],
	['log-done', `/runs/${env.JOB_DONE}`],
	['build-log', '/builds/1/log'],
];

console.log('1..' + (pages.length + 8));
fs.mkdirSync(shots, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rig-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
	executablePath: env.CHROMIUM || '/usr/bin/chromium',
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

	// Each page loads, with its heading, and no script error.
	for (const [name, url] of pages) {
		await attempt(`page ${name} loads`, async () => {
			const before = errors.length;
			const res = await page.goto(base + url, { waitUntil: 'load' });
			const h1 = await page.locator('h1').first().textContent();
			await page.waitForTimeout(name === 'size-history' ? 800 : 150);
			await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
			ok(res.status() === 200 && h1 && errors.length === before, `page ${name} loads (${url})`,
			   `status ${res.status()}, h1 ${JSON.stringify(h1)}, errors: ${errors.slice(before).join('; ')}`);
		});
	}

	// The matrix marks the case that passes on QEMU and fails on a board of the same type.
	await attempt('the matrix marks a QEMU/hardware discrepancy', async () => {
		await page.goto(`${base}/changes/${env.CHANGE_FAIL}`);
		const rows = page.locator('table.matrix tr.discrepancy');
		const count = await rows.count();
		const text = count ? await rows.first().textContent() : '';
		const cells = count ? await rows.first().locator('td').evaluateAll(
			(tds) => tds.map((td) => td.className)) : [];
		ok(count === 1 && text.includes('ipc/notify') && text.includes('QEMU/hardware') &&
		   cells.some((c) => c.includes('v-fail')) && cells.some((c) => c.includes('v-pass') && c.includes('qemu')),
		   'the matrix marks a QEMU/hardware discrepancy', `rows ${count}: ${text} ${cells}`);
	});

	// The same page without JavaScript: everything is there.
	await attempt('the change page works without JavaScript', async () => {
		const bare = await context.browser()?.newContext?.({ javaScriptEnabled: false });
		const ctx = bare || context;
		const p = await ctx.newPage();
		if (!bare)
			await p.route('**/*.js', (r) => r.abort());
		await p.goto(`${base}/changes/${env.CHANGE_FAIL}`);
		const cells = await p.locator('table.matrix td.cell').count();
		const disc = await p.locator('tr.discrepancy').count();
		ok(cells >= 40 && disc === 1, 'the change page works without JavaScript', `cells ${cells}, discrepancies ${disc}`);
		await p.close();
		if (bare)
			await bare.close();
	});

	// A running job's log grows while the page is open.
	await attempt('a running job\'s log grows while the page is open', async () => {
		await page.goto(`${base}/runs/${env.JOB_RUNNING}`);
		const rows = page.locator('table.log tbody tr');
		const before = await rows.count();
		const added = ['ok 1 - banner', 'ok 2 - <b>not bold</b> & "quoted"', 'kernel: panic? no: all good'];
		let t = 800;
		for (const line of added) {
			await page.waitForTimeout(400);
			fs.appendFileSync(env.JOB_RUNNING_LOG, `${String(t += 50).padStart(8)} console ${line}\n`);
		}
		fs.appendFileSync(env.JOB_RUNNING_LOG, `${String(t += 5).padStart(8)} rig     power off rv-2\n`);
		await page.waitForFunction((want) => document.querySelectorAll('table.log tbody tr').length >= want,
					   before + added.length + 1, { timeout: 15000 });
		const texts = await page.locator('table.log tbody tr td.x').allTextContents();
		const stepRow = await page.locator('table.log tbody tr').last().getAttribute('class');
		const bold = await page.locator('table.log tbody b').count();
		await page.screenshot({ path: path.join(shots, 'log-live.png'), fullPage: true });
		ok(texts.includes(added[1]) && bold === 0 && stepRow === 'step',
		   'a running job\'s log grows while the page is open (escaped, steps marked)',
		   `before ${before}, now ${texts.length}: ${texts.slice(-4).join(' | ')}; bold ${bold}; last row ${stepRow}`);
	});

	// A case's history: a visible mark per run and target, the flaky one outlined.
	await attempt('the case history shows each run', async () => {
		await page.goto(`${base}/cases/ipc/ping`);
		const marks = page.locator('td.strip a.sq');
		const count = await marks.count();
		const box = count ? await marks.first().boundingBox() : null;
		const flaky = await page.locator('td.strip a.sq.flaky').count();
		await page.screenshot({ path: path.join(shots, 'case-flaky.png'), fullPage: true });
		ok(count === 12 && box && box.width >= 8 && box.height >= 8 && flaky === 1,
		   'the case history shows each run, the flaky one marked', `marks ${count}, box ${JSON.stringify(box)}, flaky ${flaky}`);
	});

	// The size chart is drawn by the chart library, with a point per base commit.
	await attempt('a chart has points', async () => {
		await page.goto(`${base}/sizes/vm-rv`);
		await page.waitForSelector('.chart[data-points]', { timeout: 10000 });
		const points = Number(await page.getAttribute('.chart', 'data-points'));
		const canvas = await page.locator('.chart canvas').count();
		const series = await page.evaluate(() => {
			const u = document.querySelector('.chart').uplot;
			return u ? u.data[1].filter((v) => v != null).length : 0;
		});
		await page.screenshot({ path: path.join(shots, 'size-chart.png'), fullPage: true });
		ok(points >= 10 && canvas >= 1 && series === points, 'a chart has points',
		   `points ${points}, canvases ${canvas}, flash values ${series}`);
	});

	// A branch named <script>alert(1)</script> is text, and no dialog opens.
	await attempt('a branch named <script>alert(1)</script> shows as text', async () => {
		await page.goto(`${base}/changes/${env.CHANGE_XSS}`);
		const h1 = await page.locator('h1').textContent();
		const title = await page.locator('p.title').textContent();
		await page.goto(`${base}/`);
		const listed = await page.locator('td.ref a', { hasText: '<script>alert(1)</script>' }).count();
		const inline = await page.evaluate(() => [...document.scripts].filter((s) => !s.src).length);
		const imgs = await page.locator('main img').count();
		await page.waitForTimeout(300);
		ok(h1.includes('<script>alert(1)</script>') && title.includes('<img src=x onerror=alert(2)>') &&
		   listed === 1 && inline === 0 && imgs === 0 && dialogs.length === 0,
		   'a branch named <script>alert(1)</script> shows as text; no dialog fires',
		   `h1 ${h1}; title ${title}; listed ${listed}; inline scripts ${inline}; imgs ${imgs}; dialogs ${dialogs}`);
	});

	// The changes list follows live state: a refresh swaps the page's main.
	await attempt('the changes list refreshes itself', async () => {
		await page.goto(`${base}/`);
		await page.waitForSelector('main[data-refreshed]', { timeout: 12000 });
		ok(await page.locator('table.changes tbody tr').count() >= 4, 'the changes list refreshes itself');
	});

	ok(errors.length === 0, 'no script errors on any page', errors.join('\n'));
} finally {
	await context.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed);
