/*
 * The dashboard's JavaScript: only additions. Every page is complete
 * without it; this makes pages follow live state, follows a running job's
 * log through server-sent events, and draws the size charts with uPlot.
 * Text from the server goes in with textContent or as parsed, server-escaped
 * HTML: never through innerHTML of strings built here.
 */
(function () {
	'use strict';

	/* <main data-refresh="MS">: fetch the page again and take its <main>, until it stops asking. */
	function refresh(main) {
		var ms = parseInt(main.getAttribute('data-refresh'), 10);

		if (!(ms > 0))
			return;
		function tick() {
			var active = document.activeElement;

			/* Never swap a form from under someone typing in it. */
			if (active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName)) {
				setTimeout(tick, ms);
				return;
			}
			fetch(location.href, { cache: 'no-store', headers: { Accept: 'text/html' } }).then(function (r) {
				if (!r.ok)
					throw new Error('HTTP ' + r.status);
				return r.text();
			}).then(function (html) {
				var doc = new DOMParser().parseFromString(html, 'text/html');
				var fresh = doc.querySelector('main');

				if (!fresh)
					return;
				main.replaceChildren.apply(main, Array.prototype.map.call(fresh.childNodes, function (n) {
					return document.importNode(n, true);
				}));
				main.setAttribute('data-refreshed', String(Date.now()));
				if (fresh.getAttribute('data-refresh'))
					setTimeout(tick, ms);
				else
					main.removeAttribute('data-refresh');
			}).catch(function () {
				setTimeout(tick, ms * 3);
			});
		}
		setTimeout(tick, ms);
	}

	/* <table data-events="URL">: append each "line" event as a row, until "end". */
	function follow(table) {
		var url = table.getAttribute('data-events');
		var body = table.tBodies[0];
		var state = document.getElementById('live-state');
		var es;

		if (!url || !window.EventSource)
			return;
		es = new EventSource(url);
		es.addEventListener('line', function (e) {
			var l = JSON.parse(e.data);
			var tr = document.createElement('tr');
			var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
			var empty = document.getElementById('log-empty');

			if (l.step)
				tr.className = 'step';
			[['t', l.time], ['s', l.stream], ['x', l.text]].forEach(function (c) {
				var td = document.createElement('td');

				td.className = c[0];
				td.textContent = c[1];
				tr.appendChild(td);
			});
			body.appendChild(tr);
			if (empty)
				empty.remove();
			table.setAttribute('data-lines', String(body.rows.length));
			if (atBottom)
				tr.scrollIntoView({ block: 'end' });
		});
		es.addEventListener('end', function () {
			es.close();
			table.setAttribute('data-ended', 'true');
			if (state)
				state.textContent = 'The job is over: this is its whole log.';
		});
	}

	/* <div class="chart" data-sizes="URL">: flash and RAM over the base branch. */
	function chart(el) {
		if (!window.uPlot) {
			el.textContent = 'The chart library is not installed; the table below has the numbers.';
			return;
		}
		fetch(el.getAttribute('data-sizes'), { cache: 'no-store' }).then(function (r) {
			return r.json();
		}).then(function (d) {
			var pts = d.points || [];
			var data = [
				pts.map(function (p) { return p.at / 1000; }),
				pts.map(function (p) { return p.flash; }),
				pts.map(function (p) { return p.ram; })
			];
			var opts = {
				width: Math.max(320, el.clientWidth || 800),
				height: 320,
				scales: { x: { time: true } },
				series: [
					{ label: 'built' },
					{ label: 'flash (bytes)', stroke: '#0969da', width: 2, scale: 'flash',
					  points: { show: true, size: 6 } },
					{ label: 'RAM (bytes)', stroke: '#cf222e', width: 2, scale: 'ram',
					  points: { show: true, size: 6 } }
				],
				axes: [
					{},
					{ scale: 'flash', label: 'flash', size: 70 },
					{ scale: 'ram', label: 'RAM', side: 1, size: 70, grid: { show: false } }
				]
			};

			el.textContent = '';
			el.uplot = new window.uPlot(opts, data, el);
			el.setAttribute('data-points', String(pts.length));
		}).catch(function (e) {
			el.textContent = 'The chart could not be drawn: ' + e;
		});
	}

	document.addEventListener('DOMContentLoaded', function () {
		var main = document.querySelector('main[data-refresh]');

		if (main)
			refresh(main);
		Array.prototype.forEach.call(document.querySelectorAll('table[data-events]'), follow);
		Array.prototype.forEach.call(document.querySelectorAll('.chart[data-sizes]'), chart);
	});
})();
