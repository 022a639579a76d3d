// SPDX-License-Identifier: MIT
// dashboard.js -- draws the collector's dashboard from /api/ with Chart.js
// (Debian's libjs-chart.js at /static/chart.js). Data from uploads is only
// ever put into the page as text (textContent, chart labels), never as
// HTML. After drawing, it writes a self-check into #status (charts drawn,
// non-blank pixels, legend labels) for the headless browser test.
'use strict';

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const charts = [];

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

// series turns {key: {day: n}} into Chart.js datasets over DAYS.
function series(obj, days, type) {
  return Object.keys(obj).map((k, i) => ({
    label: k,
    data: days.map(d => obj[k][d] || 0),
    borderColor: palette[i % palette.length],
    backgroundColor: palette[i % palette.length],
    type: type,
  }));
}

function chart(title, kind, days, datasets, wide) {
  const s = section(title, wide);
  const c = el('canvas');
  c.width = wide ? 1200 : 560;
  c.height = 280;
  s.appendChild(c);
  const ch = new Chart(c, {
    type: kind,
    data: { labels: days, datasets: datasets },
    options: {
      animation: false, responsive: false,
      plugins: { legend: { display: true, position: 'bottom' },
                 title: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  charts.push({ title: title, chart: ch, canvas: c });
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
  st.textContent = JSON.stringify({ charts: out });
  st.dataset.done = '1';
}

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}

async function programList() {
  const list = await getJSON('/api/programs.json');
  const s = section('Programs', true);
  const t = el('table');
  const h = el('tr');
  ['program', 'reports', 'crashes', 'days'].forEach(x => h.appendChild(el('th', x)));
  t.appendChild(h);
  list.forEach(p => {
    const tr = el('tr');
    const td = el('td');
    const a = el('a', p.Program);
    a.href = '/program/' + encodeURIComponent(p.Program);
    td.appendChild(a);
    tr.appendChild(td);
    tr.appendChild(el('td', String(p.Reports)));
    tr.appendChild(el('td', String(p.Crashes)));
    tr.appendChild(el('td', p.FirstDay + ' .. ' + p.LastDay));
    t.appendChild(tr);
  });
  s.appendChild(t);
  if (!list.length) s.appendChild(el('p', 'no reports yet'));
}

async function programPage(name) {
  document.getElementById('program').textContent = name;
  document.title = name + ' - tmwatch collector';
  const d = await getJSON('/api/program/' + encodeURIComponent(name) + '.json');
  const days = d.Days;
  chart('Crashes per day', 'bar', days,
        [{ label: 'crash/crash', data: days.map(x => d.CrashesPerDay[x] || 0),
           backgroundColor: palette[3] }]);
  chart('Crashes per version', 'line', days, series(d.CrashesPerVersion, days));
  const top = {};
  d.TopStacks.forEach(s => { top[s.ID + ' ' + s.Frame] = s.PerDay; });
  chart('Top stack groups (ID, innermost frame)', 'line', days,
        series(top, days), true);
  const s = section('Top stack groups', true);
  const t = el('table');
  const h = el('tr');
  ['ID', 'count', 'versions', 'innermost frame'].forEach(x => h.appendChild(el('th', x)));
  t.appendChild(h);
  d.TopStacks.forEach(g => {
    const tr = el('tr');
    tr.appendChild(el('td', g.ID));
    tr.appendChild(el('td', String(g.Count)));
    tr.appendChild(el('td', Object.keys(g.Versions).map(v => v + '=' + g.Versions[v]).join(' ')));
    const td = el('td');
    td.appendChild(el('code', g.Frame));
    tr.appendChild(td);
    t.appendChild(tr);
  });
  s.appendChild(t);
  Object.keys(d.Counters).sort().forEach(name => {
    chart('Counter ' + name, 'line', days, series({ [name]: d.Counters[name] }, days));
  });
}

async function main() {
  document.getElementById('loading').remove();
  if (typeof Chart === 'undefined') {
    section('Chart.js is missing', true).appendChild(
      el('p', 'install libjs-chart.js on the collector host'));
  }
  const m = location.pathname.match(/^\/program\/(.+)$/);
  try {
    if (m) await programPage(decodeURIComponent(m[1]));
    else await programList();
  } catch (e) {
    section('error', true).appendChild(el('p', String(e)));
  }
  selfCheck();
}

main();
