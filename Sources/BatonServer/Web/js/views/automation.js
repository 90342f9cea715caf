// One automation: its trigger and actions, and its history: each firing (what happened, the run it
// was about, whether the cooldown suppressed it) with each delivery's status, attempts, outcome and
// error. Notifications about events that are not a run's link here. The page reads the history
// again when the server's live `automations` event says firings or deliveries were recorded.
import { api, enc, showError, clearError } from '../api.js';
import { h, fill, runHref, section } from '../dom.js';
import { timeEl } from '../format.js';
import { navigate } from '../router.js';
import { dataTable } from '../components/table.js';
import { confirmRemove } from '../components/confirm-remove.js';
import { statusBadge, pauseButton, actionList } from './automations.js';

const HISTORY = 50;

export async function automationView(root, ctx) {
  const name = ctx.params.name;
  const base = `/automations/${enc(name)}`;
  const fetchHistory = () => api.get(`${base}/history?limit=${HISTORY}`);
  let [automation, history] = await Promise.all([api.get(base), fetchHistory()]);
  if (!ctx.alive) return;

  const header = h('header', { class: 'automation-header' });
  const details = h('div', { class: 'columns' });
  const historyHolder = h('div', { id: 'history' });
  const changed = (a) => {
    automation = a;
    if (ctx.alive) renderAutomation();
  };
  const remove = async () => {
    clearError();
    try {
      await api.del(base);
      navigate('#/automations');
    } catch (error) {
      showError(error, `Could not remove ${name}`);
      if (ctx.alive) renderAutomation();
    }
  };

  function renderAutomation() {
    const a = automation;
    fill(header,
      h('div', { class: 'title-row' }, h('h1', null, a.name), h('span', { id: 'automation-status', 'data-paused': String(!!a.paused) }, statusBadge(a)),
        confirmRemove(a.name, remove, () => pauseButton(a, changed))),
      h('p', { class: 'muted small' }, h('a', { href: '#/automations' }, '← Automations'), a.createdBy ? ` · created by ${a.createdBy}` : ''),
      h('dl', { class: 'facts' }, [
        ['When', a.triggerSummary],
        ['Cooldown', a.cooldownSeconds ? span(a.cooldownSeconds) : 'none'],
        ['Armed since', timeEl(a.armedSince)],
        ['Last fired', a.lastFiredAt ? timeEl(a.lastFiredAt) : h('span', { class: 'muted' }, 'never')],
        ['Created', timeEl(a.createdAt)],
      ].map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))));
    fill(details,
      section('Trigger', h('p', null, a.triggerSummary), triggerFacts(a.trigger)),
      section('Actions', h('p', { class: 'muted small' }, 'In this order, each delivery retried on its own until it is delivered or has failed.'), actionList(a)));
  }

  let shown = '';
  function renderHistory(data) {
    const firings = data.firings || [];
    const key = JSON.stringify(firings);
    if (key === shown) return;
    shown = key;
    fill(historyHolder,
      firings.length ? firings.map(firingView) : h('p', { class: 'empty' }, 'It has not fired yet.'),
      firings.length >= HISTORY ? h('p', { class: 'muted small' }, `The newest ${HISTORY} firings.`) : null);
  }

  renderAutomation();
  renderHistory(history);
  root.append(header, details, section('History', historyHolder));
  ctx.ready();

  const reload = async () => {
    const [fresh, freshHistory] = await Promise.all([api.get(base).catch(() => null), fetchHistory().catch(() => null)]);
    if (!ctx.alive) return;
    if (fresh && JSON.stringify(fresh) !== JSON.stringify(automation)) changed(fresh);
    if (freshHistory) renderHistory(freshHistory);
  };
  const soon = ctx.debounce(reload, 1000);
  // The server says when firings or deliveries were recorded: no polling.
  ctx.on('automations', soon);
  ctx.on('resync', soon);
}

/** The trigger's settings, as stored. */
function triggerFacts(t) {
  const facts = [
    ['Kind', t.kind],
    t.states ? ['States', t.states.join(', ')] : null,
    t.expected ? ['Expected', t.expected] : null,
    t.within ? ['Within', span(t.within)] : null,
    t.runs ? ['Over the last', `${t.runs} runs`] : null,
    t.threshold !== undefined && t.threshold !== null ? ['Below', `${Math.round(t.threshold * 100)}%`] : null,
    t.flow ? ['Flow', h('a', { href: `#/flows/${enc(t.flow)}` }, t.flow)] : null,
    t.deployment ? ['Deployment', h('a', { href: '#/deployments' }, t.deployment)] : null,
    t.tags?.length ? ['Tags', t.tags.join(', ')] : null,
    t.pool ? ['Pool', t.pool] : null,
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, facts.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

/** One firing: when, what happened (with its run), and its deliveries, or why it was suppressed. */
function firingView(f) {
  const e = f.event || {};
  return h('article', { class: 'firing', 'data-firing': f.id, 'data-suppressed': String(!!f.suppressed) },
    h('header', null, timeEl(f.firedAt, { seconds: true }), ' ',
      h('span', { class: 'event-text' }, e.text || e.kind || ''),
      e.flowRunID ? [' · ', h('a', { href: runHref(e.flowRunID), 'data-run-id': e.flowRunID }, `run ${e.flowRunName || e.flowRunID}`)] : null),
    e.message && !(e.text || '').includes(e.message) ? h('p', { class: 'muted small value' }, e.message) : null,
    f.suppressed ? h('p', { class: 'suppressed' }, `suppressed: ${f.suppressed}`) : null,
    f.deliveries?.length ? deliveriesTable(f.deliveries) : null);
}

const STATUS_CLASS = { pending: 'pending', delivered: 'completed', failed: 'failed' };

function deliveriesTable(deliveries) {
  return dataTable({
    columns: [
      { label: 'Action', cell: (d) => actionSummary(d.action) },
      { label: 'Status', cell: (d) => h('span', { class: `badge state-${STATUS_CLASS[d.status] || 'pending'}` }, d.status) },
      { label: 'Attempts', class: 'num', cell: (d) => String(d.attempts ?? 0) },
      { label: 'Outcome', cell: (d) => d.outcome || '' },
      { label: 'Last error', cell: (d) => (d.lastError ? h('span', { class: 'delivery-error value' }, d.lastError) : '') },
      { label: 'Next attempt', cell: (d) => (d.status === 'pending' && d.nextAttemptAt ? timeEl(d.nextAttemptAt, { seconds: true }) : '') },
      { label: 'Finished', cell: (d) => (d.finishedAt ? timeEl(d.finishedAt, { seconds: true }) : '') },
    ],
    rows: [...deliveries].sort((a, b) => a.position - b.position),
    caption: 'Deliveries',
    rowAttrs: (d) => ({ 'data-delivery': d.id, 'data-status': d.status }),
  }).el;
}

/** An action in words, as the server words it (AutomationAction.summary), a URL cut to its host. */
function actionSummary(a = {}) {
  switch (a.kind) {
    case 'notify': return `notify ${a.channel ?? ''}`;
    case 'run-deployment': {
      const keys = Object.keys(a.parameters || {}).sort();
      return `run deployment ${a.deployment ?? ''}${keys.length ? ` with ${keys.join(', ')}` : ''}`;
    }
    case 'pause-deployment': return `pause deployment ${a.deployment ?? ''}`;
    case 'cancel-run': return 'cancel the run';
    case 'webhook': return `call ${redactedURL(a.url ?? '')}`;
    default: return a.kind || '';
  }
}

/** A URL without its path and query, which may hold a token (ChannelConfig.redactedURL). */
function redactedURL(text) {
  try {
    const url = new URL(text);
    const hidden = (url.pathname !== '' && url.pathname !== '/') || url.search !== '';
    return `${url.protocol}//${url.host}${hidden ? '/…' : ''}`;
  } catch {
    return text;
  }
}

/** "90 s", "30 min", "2 h", "1 day": a cooldown or window as set. */
function span(seconds) {
  const s = Math.round(seconds);
  if (s >= 86400 && s % 86400 === 0) return `${s / 86400} day${s === 86400 ? '' : 's'}`;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}
