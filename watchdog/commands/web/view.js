// SPDX-License-Identifier: MIT
// view.js -- draws `tmwatch telemetry view` from /data.json with Chart.js
// (Debian's libjs-chart.js at /static/chart.js): a chart per counter over
// weeks, a histogram per NAME:BUCKET family, crash stacks with counts,
// filtered by program and version. Counter names come from files other
// programs write: they only ever reach the page as text (textContent,
// chart labels), never as HTML. After drawing, a self-check goes into
// #status (charts, non-blank pixels, legends, stacks) for the headless
// browser test.
'use strict';

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
let data = null;
let charts = [];
let stackRows = 0;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function section(title, wide) {
  const s = el('section', undefined, wide ? 'wide' : '');
  s.appendChild(el('h2', title));
  document.getElementById('main').appendChild(s);
  return s;
}

function chart(title, kind, labels, datasets) {
  const s = section(title);
  const c = el('canvas');
  c.width = 560;
  c.height = 260;
  s.appendChild(c);
  const ch = new Chart(c, {
    type: kind,
    data: { labels: labels, datasets: datasets },
    options: {
      animation: false, responsive: false,
      plugins: { legend: { display: true, position: 'bottom' } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  charts.push({ title: title, chart: ch, canvas: c });
}

function uniq(a) { return [...new Set(a)].sort(); }

function fillSelect(id, values, keep) {
  const s = document.getElementById(id);
  const old = keep ? s.value : '';
  s.textContent = '';
  values.forEach(v => {
    const o = el('option', v === '' ? 'all' : v);
    o.value = v;
    s.appendChild(o);
  });
  if (values.includes(old)) s.value = old;
}

// The family of a NAME:BUCKET counter ("latency" of "latency:<10ms").
function family(name) {
  const i = name.indexOf(':');
  return i > 0 ? [name.slice(0, i), name.slice(i + 1)] : null;
}

function draw() {
  charts.forEach(x => x.chart.destroy());
  charts = [];
  stackRows = 0;
  document.getElementById('main').textContent = '';
  const prog = document.getElementById('program').value;
  const vers = document.getElementById('version').value;
  const es = data.entries.filter(e => e.program === prog &&
    (vers === '' || e.version === vers));
  const weeks = uniq(es.map(e => e.week));
  const versions = uniq(es.map(e => e.version));
  // Counters: one line chart per plain name over weeks, a dataset per
  // version; families: a bar chart of buckets, a dataset per week.
  const plain = {}, fams = {};
  es.forEach(e => Object.keys(e.counters).forEach(n => {
    const f = family(n), v = Number(e.counters[n]);
    if (f) {
      const fam = fams[f[0]] = fams[f[0]] || {};
      fam[f[1]] = fam[f[1]] || {};
      fam[f[1]][e.week] = (fam[f[1]][e.week] || 0) + v;
    } else {
      const c = plain[n] = plain[n] || {};
      c[e.version] = c[e.version] || {};
      c[e.version][e.week] = (c[e.version][e.week] || 0) + v;
    }
  }));
  Object.keys(plain).sort().forEach(n => {
    const ds = versions.filter(v => plain[n][v]).map((v, i) => ({
      label: v, data: weeks.map(w => w in plain[n][v] ? plain[n][v][w] : null),
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
    }));
    chart('Counter ' + n, weeks.length > 1 ? 'line' : 'bar', weeks, ds);
  });
  Object.keys(fams).sort().forEach(f => {
    const buckets = Object.keys(fams[f]).sort();
    const ds = weeks.map((w, i) => ({
      label: w, data: buckets.map(b => fams[f][b][w] || 0),
      backgroundColor: palette[i % palette.length],
    }));
    chart('Histogram ' + f, 'bar', buckets, ds);
  });
  // Crash stacks: counts summed over the weeks shown, most first.
  const st = {};
  es.forEach(e => Object.keys(e.stacks).forEach(n => {
    st[n] = st[n] || { count: 0, versions: new Set(), weeks: new Set() };
    st[n].count += Number(e.stacks[n]);
    st[n].versions.add(e.version);
    st[n].weeks.add(e.week);
  }));
  const s = section('Crash stacks', true);
  const t = el('table');
  t.id = 'stacks';
  const h = el('tr');
  ['count', 'stack', 'versions', 'weeks'].forEach(x => h.appendChild(el('th', x)));
  t.appendChild(h);
  Object.keys(st).sort((a, b) => st[b].count - st[a].count).forEach(n => {
    const tr = el('tr');
    tr.appendChild(el('td', String(st[n].count), 'n'));
    const td = el('td');
    td.appendChild(el('pre', n));
    tr.appendChild(td);
    tr.appendChild(el('td', [...st[n].versions].sort().join(', ')));
    tr.appendChild(el('td', [...st[n].weeks].sort().join(', ')));
    t.appendChild(tr);
    stackRows++;
  });
  s.appendChild(t);
  if (!stackRows) s.appendChild(el('p', 'no crash stacks for this selection'));
  if (!es.length) section('Nothing counted', true).appendChild(
    el('p', 'no counters for this program and version'));
  selfCheck();
}

function selfCheck() {
  const out = charts.map(x => {
    const ctx = x.canvas.getContext('2d');
    const px = ctx.getImageData(0, 0, x.canvas.width, x.canvas.height).data;
    let nonblank = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) nonblank++;
    return { title: x.title, nonblank: nonblank,
             legend: (x.chart.legend.legendItems || []).map(l => l.text) };
  });
  const st = document.getElementById('status');
  st.textContent = JSON.stringify({
    program: document.getElementById('program').value,
    version: document.getElementById('version').value,
    charts: out, stacks: stackRows });
  st.dataset.done = '1';
}

function programChanged() {
  const prog = document.getElementById('program').value;
  fillSelect('version', [''].concat(uniq(data.entries
    .filter(e => e.program === prog).map(e => e.version))), false);
  draw();
}

async function main() {
  const r = await fetch('/data.json');
  if (!r.ok) throw new Error('/data.json: HTTP ' + r.status);
  data = await r.json();
  document.getElementById('store').textContent = data.store;
  const progs = uniq(data.entries.map(e => e.program));
  // ?program=P&version=V preselects (links, the test).
  const q = new URLSearchParams(location.search);
  fillSelect('program', progs, false);
  if (q.get('program') && progs.includes(q.get('program')))
    document.getElementById('program').value = q.get('program');
  programChanged();
  if (q.get('version')) {
    document.getElementById('version').value = q.get('version');
    draw();
  }
  document.getElementById('program').onchange = programChanged;
  document.getElementById('version').onchange = draw;
  if (typeof Chart === 'undefined')
    section('Charts unavailable', true).appendChild(
      el('p', 'install Debian\'s libjs-chart.js'));
}

main().catch(e => {
  document.getElementById('main').textContent = String(e);
  const st = document.getElementById('status');
  st.textContent = JSON.stringify({ error: String(e) });
  st.dataset.done = '1';
});
