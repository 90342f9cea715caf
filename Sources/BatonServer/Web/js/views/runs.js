// Runs: those that happened (started, ended or due), newest first by start time, one page of 50
// at a time (filters and cursor live in the address), and the upcoming ones apart, soonest first;
// with ?when=upcoming the upcoming ones alone, paged. Updated in place.
import { api, queryString } from '../api.js';
import { fill, h, section } from '../dom.js';
import { STATE_TYPES, isoToLocalInput, localInputToIso, parseDate } from '../format.js';
import { buildHash, navigate } from '../router.js';
import { listTime, runsTable, scheduledTable } from '../components/table.js';

const PAGE = 50;
const UPCOMING_SHOWN = 10;
const FILTERS = ['flow', 'version', 'state', 'deployment', 'since', 'until'];

export async function runsView(root, ctx) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.query[k] || '']));
  const cursor = ctx.query.cursor || '';
  const upcomingOnly = ctx.query.when === 'upcoming';
  const when = upcomingOnly ? 'upcoming' : 'past';
  const fetchPage = () => api.get(`/flow-runs${queryString({ ...filters, when, limit: PAGE, cursor })}`);
  const fetchUpcoming = () => api.get(`/flow-runs${queryString({ ...filters, when: 'upcoming', limit: UPCOMING_SHOWN })}`);
  const [page, ahead, flows, deps] = await Promise.all([
    fetchPage(),
    upcomingOnly ? null : fetchUpcoming().catch(() => ({ runs: [] })),
    api.get('/flows').catch(() => ({ flows: [] })),
    api.get('/deployments').catch(() => ({ deployments: [] })),
  ]);

  const shown = new Map((page.runs || []).map((r) => [r.id, r]));
  const none = hasFilters(filters) ? 'No runs match these filters.' : 'No runs yet.';
  const table = upcomingOnly
    ? scheduledTable(page.runs || [], { emptyText: hasFilters(filters) ? none : 'Nothing is scheduled ahead.' })
    : runsTable(page.runs || [], { emptyText: ahead?.runs?.length ? `${none} The upcoming ones are below.` : none });
  const here = upcomingOnly ? { ...filters, when } : filters;
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: buildHash('/runs', here), class: 'button-link' }, upcomingOnly ? '← Soonest' : '← Newest') : null,
    page.nextCursor ? h('a', { href: buildHash('/runs', { ...here, cursor: page.nextCursor }), class: 'button-link', id: 'older' },
      upcomingOnly ? 'Later →' : 'Older →') : null);

  const upcomingHolder = h('div', { id: 'upcoming-runs' });
  const renderUpcoming = (data) => {
    const list = data?.runs || [];
    fill(upcomingHolder, scheduledTable(list, { emptyText: 'Nothing is scheduled ahead.' }).el,
      data?.nextCursor ? h('p', null, h('a', { href: buildHash('/runs', { ...filters, when: 'upcoming' }), id: 'all-upcoming' }, 'All upcoming runs →')) : null);
  };
  if (!upcomingOnly) renderUpcoming(ahead);

  root.append(h('h1', null, upcomingOnly ? 'Upcoming runs' : 'Runs'),
    filterForm(filters, flows.flows || [], deps.deployments || [], upcomingOnly),
    upcomingOnly
      ? section(cursor ? 'Later runs' : 'Scheduled ahead, soonest first', h('div', { id: 'past-runs' }, table.el), pager,
        h('p', null, h('a', { href: buildHash('/runs', filters) }, '← Runs that happened')))
      : section(cursor ? 'Older runs' : 'Newest runs', h('div', { id: 'past-runs' }, table.el), pager),
    upcomingOnly ? null : section('Upcoming', upcomingHolder));
  ctx.ready();

  const reloadUpcoming = ctx.debounce(async () => {
    const fresh = await fetchUpcoming().catch(() => null);
    if (fresh && ctx.alive) renderUpcoming(fresh);
  }, 500);

  ctx.on('flow_run', (run) => {
    const selector = `tr[data-run-id="${CSS.escape(run.id)}"]`;
    if (!upcomingOnly && (run.upcoming || upcomingHolder.querySelector(selector))) reloadUpcoming();
    if (shown.has(run.id)) {
      // A run that started leaves the upcoming list.
      if (upcomingOnly && !run.upcoming) {
        shown.delete(run.id);
        table.tbody.querySelector(selector)?.remove();
        return;
      }
      shown.set(run.id, run);
      table.replace(run, selector);
      return;
    }
    // Only brand-new runs of this list go on top, and only on its first page with filters they pass.
    if (upcomingOnly || run.upcoming || cursor || !matches(run, filters)) return;
    const newest = [...shown.values()].reduce((max, r) => Math.max(max, parseDate(listTime(r))?.getTime() || 0), 0);
    if ((parseDate(listTime(run))?.getTime() || 0) < newest) return;
    shown.set(run.id, run);
    table.prepend(run);
    table.trim(PAGE);
  });
  // After a lost connection the page may be stale: fetch it again, once.
  const reload = ctx.debounce(async () => {
    const fresh = await fetchPage().catch(() => null);
    if (!fresh || !ctx.alive) return;
    for (const run of [...(fresh.runs || [])].reverse()) {
      if (!table.replace(run, `tr[data-run-id="${CSS.escape(run.id)}"]`) && !cursor) table.prepend(run);
      shown.set(run.id, run);
    }
    table.trim(PAGE);
    if (!upcomingOnly) reloadUpcoming();
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
  const at = parseDate(listTime(run))?.getTime();
  if (f.since && at !== undefined && at < parseDate(f.since)?.getTime()) return false;
  if (f.until && at !== undefined && at >= parseDate(f.until)?.getTime()) return false;
  return true;
}

function filterForm(filters, flows, deployments, upcomingOnly) {
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
    hasFilters(filters) ? h('a', { href: buildHash('/runs', upcomingOnly ? { when: 'upcoming' } : {}), class: 'clear' }, 'Clear filters') : null);

  const apply = () => {
    const data = new FormData(form);
    const next = {};
    for (const k of FILTERS) {
      const v = String(data.get(k) || '');
      // An unchanged date keeps its full precision from the address (the input shows minutes).
      const sameDate = (k === 'since' || k === 'until') && v === isoToLocalInput(filters[k]);
      next[k] = sameDate ? filters[k] : k === 'since' || k === 'until' ? localInputToIso(v) : v;
    }
    navigate(buildHash('/runs', upcomingOnly ? { ...next, when: 'upcoming' } : next));
  };
  form.addEventListener('change', apply);
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  return form;
}
