// The dashboard page's script: reads the chart specs (/api/charts), follows /events (the model's
// snapshot, then every update) and redraws. Each chart reads the named dataset 'rows'; a redraw
// replaces its contents with the rows of the arms shown. Plain browser JavaScript, no build step.
'use strict';

const state = {
  meta: null,
  rows: new Map(), // "arm|seed|round" → chart row (a later row for the same round replaces it)
  events: [],
  reports: new Map(), // "arm|seed|round" → tagged validator report
  status: { state: 'running' },
  charts: [], // specs from the server
  views: {}, // chart name → vega View, once embedded
  embedding: new Set(),
  redrawQueued: false,
  redraws: 0,
  drawnRows: 0,
};
// For the browser test and the curious: the views and what they were last given.
window.dashboard = state;

const key = (arm, seed, round) => `${arm}\u0000${seed}\u0000${round}`;
const $ = (id) => document.getElementById(id);
const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (v, digits = 4) => (v === null || v === undefined || Number.isNaN(v) ? '–' : typeof v === 'number' ? Number(v.toPrecision(digits)).toLocaleString('en') : String(v));

function shownRows() {
  const arm = $('arm').value;
  const all = [...state.rows.values()];
  return arm === '' ? all : all.filter((r) => r.arm === arm);
}

function applyUpdate(u) {
  if (u.kind === 'row') state.rows.set(key(u.row.arm, u.row.seed, u.row.round), u.row);
  else if (u.kind === 'event') state.events.push(u.event);
  else if (u.kind === 'validator') state.reports.set(key(u.report.arm, u.report.seed, u.report.report.round), u.report);
  else if (u.kind === 'status') state.status = u.status;
}

function queueRedraw() {
  if (state.redrawQueued) return;
  state.redrawQueued = true;
  // At most a few redraws a second however fast rows come (a byzantine run streams hundreds).
  setTimeout(() => {
    state.redrawQueued = false;
    redraw().catch((e) => console.error(e));
  }, 250);
}

async function embedMissingCharts() {
  const present = new Set();
  for (const r of state.rows.values()) for (const [k, v] of Object.entries(r)) if (v !== undefined) present.add(k);
  for (const chart of state.charts) {
    if (state.views[chart.name] || state.embedding.has(chart.name) || !present.has(chart.needs)) continue;
    state.embedding.add(chart.name);
    const div = document.createElement('div');
    div.className = 'chart';
    div.id = `chart-${chart.name}`;
    $('charts').appendChild(div);
    // Embedded with the rows so far (an empty dataset gives vega 'infinite extent' warnings); the
    // inline data keeps the name 'rows', which later redraws change.
    const spec = { ...chart.spec, data: { name: chart.spec.data.name, values: shownRows().map((r) => ({ ...r })) } };
    const result = await vegaEmbed(div, spec, { renderer: 'svg', actions: false });
    state.views[chart.name] = result.view;
  }
}

async function redraw() {
  await embedMissingCharts();
  const rows = shownRows();
  await Promise.all(Object.values(state.views).map((view) => view.change('rows', vega.changeset().remove(() => true).insert(rows.map((r) => ({ ...r })))).runAsync()));
  state.redraws++;
  state.drawnRows = rows.length; // the browser test waits on this
  drawHeader();
  drawRuns();
  drawCluster();
}

function drawHeader() {
  const m = state.meta;
  $('title').textContent = `${m.experiment.id} · ${m.backend}${m.source === 'folder' ? ' · results folder' : ''}`;
  $('question').textContent = m.experiment.question;
  const s = $('status');
  s.className = state.status.state;
  s.textContent = state.status.state === 'failed' ? `failed: ${state.status.message}` : state.status.state;
  const total = m.runs.reduce((n, r) => n + r.rounds, 0);
  $('progress').textContent = `${state.rows.size} / ${total} rounds`;
}

function drawRuns() {
  const last = new Map();
  for (const r of state.rows.values()) {
    const k = `${r.arm}\u0000${r.seed}`;
    if (!last.has(k) || last.get(k).round < r.round) last.set(k, r);
  }
  const rewards = [...state.rows.values()].some((r) => r.cumulativeChainRewardsPaid !== undefined);
  const head = ['arm', 'seed', 'rounds', 'held-out loss', 'cumulative bytes', 'peers online', state.meta.backend === 'cluster' ? 'wall s' : 'sim s', ...(rewards ? ['rewards paid (10¹⁸ wei)'] : [])];
  const body = state.meta.runs.map((run) => {
    const r = last.get(`${run.arm}\u0000${run.seed}`);
    const cells = [run.arm, run.seed, `${r ? r.round + 1 : 0} / ${run.rounds}`, fmt(r?.heldoutLoss), fmt(r?.cumulativeBytes, 6), fmt(r?.activePeers), fmt(r?.simTimeS, 5), ...(rewards ? [r?.cumulativeChainRewardsPaid === undefined ? '–' : fmt(Number(r.cumulativeChainRewardsPaid) / 1e18)] : [])];
    return `<tr>${cells.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`;
  });
  $('runs').innerHTML = `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function drawCluster() {
  if (state.meta.backend !== 'cluster') return;
  $('cluster').classList.remove('hidden');
  const peers = new Map();
  const peer = (arm, seed, uid) => {
    const k = `${arm}\u0000${seed}\u0000${uid}`;
    if (!peers.has(k)) peers.set(k, { arm, seed, uid, committed: 0, valid: 0, selected: 0, rejected: [] });
    return peers.get(k);
  };
  for (const { arm, seed, report } of state.reports.values()) {
    for (const uid of report.committed) peer(arm, seed, uid).committed++;
    for (const uid of report.valid) peer(arm, seed, uid).valid++;
    for (const uid of report.contributors) peer(arm, seed, uid).selected++;
    for (const r of report.rejected) {
      const [uid, reason] = r.split(':');
      peer(arm, seed, Number(uid)).rejected.push(`r${report.round}: ${reason}`);
    }
  }
  const rows = [...peers.values()].sort((a, b) => (a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : a.seed - b.seed || a.uid - b.uid));
  $('peers').innerHTML = rows.length === 0 ? '<p class="note">No validator report yet.</p>'
    : `<table><thead><tr><th>arm</th><th>seed</th><th>peer uid</th><th>rounds committed</th><th>passed integrity</th><th>selected</th><th>rejected</th></tr></thead><tbody>${rows
      .map((p) => `<tr><td>${escape(p.arm)}</td><td>${p.seed}</td><td>${p.uid}</td><td>${p.committed}</td><td>${p.valid}</td><td>${p.selected}</td><td>${escape(p.rejected.join(', ') || '–')}</td></tr>`)
      .join('')}</tbody></table>`;
  const label = { committed: 'commit mined', finalised: 'RoundFinalised', fetched: 'validator fetched uploads', trained: 'trained', synced: 'synced', joins: 'joins', leaves: 'leaves', crashes: 'crashes' };
  $('events').innerHTML = state.events.slice(-300).reverse()
    .map((e) => `<div>${e.atS.toFixed(1).padStart(7)} s · ${escape(e.arm)} s${e.seed} · round ${e.round} · ${e.uid === null ? 'validator' : `peer ${e.uid}`} · ${label[e.kind] ?? e.kind}</div>`)
    .join('');
}

async function main() {
  const response = await fetch('/api/charts');
  state.charts = await response.json();
  const source = new EventSource('/events');
  source.addEventListener('snapshot', (message) => {
    const snap = JSON.parse(message.data);
    state.meta = snap.meta;
    state.rows.clear();
    state.reports.clear();
    state.events = [...snap.events];
    for (const row of snap.rows) state.rows.set(key(row.arm, row.seed, row.round), row);
    for (const r of snap.validatorReports) state.reports.set(key(r.arm, r.seed, r.report.round), r);
    state.status = snap.status;
    const select = $('arm');
    const arms = [...new Set(snap.meta.runs.map((r) => r.arm))];
    select.innerHTML = `<option value="">all arms (${arms.length})</option>${arms.map((a) => `<option>${escape(a)}</option>`).join('')}`;
    queueRedraw();
  });
  source.addEventListener('update', (message) => {
    applyUpdate(JSON.parse(message.data));
    queueRedraw();
  });
  // A finished run's server may be gone; the page keeps what it has (EventSource retries on its own).
  source.onerror = () => {
    if (state.status.state !== 'running') source.close();
  };
  $('arm').addEventListener('change', queueRedraw);
}

main().catch((e) => console.error(e));
