// Runs: one page of 50 at a time (filters and cursor live in the address), updated in place.
import { api, queryString } from '../api.js';
import { h, section } from '../dom.js';
import { STATE_TYPES, isoToLocalInput, localInputToIso, parseDate } from '../format.js';
import { buildHash, navigate } from '../router.js';
import { runsTable } from '../components/table.js';

const PAGE = 50;
const FILTERS = ['flow', 'version', 'state', 'deployment', 'since', 'until'];

export async function runsView(root, ctx) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.query[k] || '']));
  const cursor = ctx.query.cursor || '';
  const [page, flows, deps] = await Promise.all([
    api.get(`/flow-runs${queryString({ ...filters, limit: PAGE, cursor })}`),
    api.get('/flows').catch(() => ({ flows: [] })),
    api.get('/deployments').catch(() => ({ deployments: [] })),
  ]);

  const shown = new Map((page.runs || []).map((r) => [r.id, r]));
  const table = runsTable(page.runs || [], { emptyText: hasFilters(filters) ? 'No runs match these filters.' : 'No runs yet.' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: buildHash('/runs', filters), class: 'button-link' }, '← Newest') : null,
    page.nextCursor ? h('a', { href: buildHash('/runs', { ...filters, cursor: page.nextCursor }), class: 'button-link', id: 'older' }, 'Older →') : null);

  root.append(h('h1', null, 'Runs'),
    filterForm(filters, flows.flows || [], deps.deployments || []),
    section(cursor ? 'Older runs' : 'Newest runs', table.el, pager));
  ctx.ready();

  ctx.on('flow_run', (run) => {
    const selector = `tr[data-run-id="${CSS.escape(run.id)}"]`;
    if (shown.has(run.id)) {
      shown.set(run.id, run);
      table.replace(run, selector);
      return;
    }
    // Only brand-new runs go on top, and only on the newest page with filters they pass.
    if (cursor || !matches(run, filters)) return;
    const newest = [...shown.values()].reduce((max, r) => Math.max(max, parseDate(r.createdAt)?.getTime() || 0), 0);
    if ((parseDate(run.createdAt)?.getTime() || 0) < newest) return;
    shown.set(run.id, run);
    table.prepend(run);
    table.trim(PAGE);
  });
  // After a lost connection the page may be stale: fetch it again, once.
  const reload = ctx.debounce(async () => {
    const fresh = await api.get(`/flow-runs${queryString({ ...filters, limit: PAGE, cursor })}`).catch(() => null);
    if (!fresh || !ctx.alive) return;
    for (const run of [...(fresh.runs || [])].reverse()) {
      if (!table.replace(run, `tr[data-run-id="${CSS.escape(run.id)}"]`) && !cursor) table.prepend(run);
      shown.set(run.id, run);
    }
    table.trim(PAGE);
  });
  ctx.on('resync', reload);
}

function hasFilters(filters) {
  return FILTERS.some((k) => filters[k]);
}

/** Whether a run passes the current filters, for runs that arrive live. */
export function matches(run, f) {
  if (f.flow && run.flow !== f.flow) return false;
  if (f.version && String(run.version) !== String(f.version)) return false;
  if (f.state && run.state !== f.state) return false;
  if (f.deployment && run.deployment !== f.deployment) return false;
  const created = parseDate(run.createdAt)?.getTime();
  if (f.since && created !== undefined && created < parseDate(f.since)?.getTime()) return false;
  if (f.until && created !== undefined && created > parseDate(f.until)?.getTime()) return false;
  return true;
}

function filterForm(filters, flows, deployments) {
  const select = (name, label, options) => h('div', { class: 'filter' },
    h('label', { for: `filter-${name}` }, label),
    h('select', { id: `filter-${name}`, name },
      h('option', { value: '' }, 'any'),
      options.map((o) => h('option', { value: o, selected: filters[name] === o }, o)),
      // Keep a value from the address even when the lists no longer have it.
      filters[name] && !options.includes(filters[name]) ? h('option', { value: filters[name], selected: true }, filters[name]) : null));

  const form = h('form', { class: 'filters', id: 'run-filters', role: 'search' },
    select('flow', 'Flow', flows.map((f) => f.name).sort()),
    h('div', { class: 'filter' }, h('label', { for: 'filter-version' }, 'Version'),
      h('input', { id: 'filter-version', name: 'version', type: 'number', min: 1, step: 1, value: filters.version, class: 'narrow' })),
    select('state', 'State', STATE_TYPES),
    select('deployment', 'Deployment', deployments.map((d) => d.name).sort()),
    h('div', { class: 'filter' }, h('label', { for: 'filter-since' }, 'Since'),
      h('input', { id: 'filter-since', name: 'since', type: 'datetime-local', value: isoToLocalInput(filters.since) })),
    h('div', { class: 'filter' }, h('label', { for: 'filter-until' }, 'Until'),
      h('input', { id: 'filter-until', name: 'until', type: 'datetime-local', value: isoToLocalInput(filters.until) })),
    hasFilters(filters) ? h('a', { href: '#/runs', class: 'clear' }, 'Clear filters') : null);

  const apply = () => {
    const data = new FormData(form);
    const next = {};
    for (const k of FILTERS) {
      const v = String(data.get(k) || '');
      // An unchanged date keeps its full precision from the address (the input shows minutes).
      const sameDate = (k === 'since' || k === 'until') && v === isoToLocalInput(filters[k]);
      next[k] = sameDate ? filters[k] : k === 'since' || k === 'until' ? localInputToIso(v) : v;
    }
    navigate(buildHash('/runs', next));
  };
  form.addEventListener('change', apply);
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  return form;
}
