// One flow: pick a version, run it with a form built from its parameter schema,
// compare versions, and see its deployments and recent runs.
import { api, enc, showError, clearError, ApiError } from '../api.js';
import { h, fill, section, empty, runHref } from '../dom.js';
import { buildHash, navigate, replaceQuery } from '../router.js';
import { parameterForm } from '../components/form.js';
import { versionText, versionsPanel } from '../components/versions.js';
import { runsTable } from '../components/table.js';
import { upcomingPanel } from '../components/upcoming.js';
import { deploymentsTable } from './deployments.js';
import { inline } from '../components/markdown.js';

export async function flowView(root, ctx) {
  const flow = ctx.params.flow;
  const [summary, deps, runs] = await Promise.all([
    api.get(`/flows/${enc(flow)}`),
    api.get(`/deployments?flow=${enc(flow)}`).catch(() => ({ deployments: [] })),
    api.get(`/flow-runs?flow=${enc(flow)}&limit=10`).catch(() => ({ runs: [] })),
  ]);
  let versions = sortVersions(summary.versions || []);
  const requested = Number(ctx.query.version);
  let selected = versions.find((v) => v.version === requested) || versions[0];

  const picker = h('select', { id: 'version-picker' });
  const details = h('div', { class: 'version-details' });
  const formHolder = h('div', { class: 'form-holder' });
  const versionsHolder = h('div');
  const depsHolder = h('div');
  const runsHolder = h('div');

  const fillPicker = () => fill(picker, versions.map((v) =>
    h('option', { value: String(v.version), selected: v === selected }, versionText(v))));

  const showVersion = async (v) => {
    let full = v;
    if (!full.parameters) {
      full = await api.get(`/flows/${enc(flow)}/versions/${v.version}`);
      Object.assign(v, full);
    }
    if (!ctx.alive || selected !== v) return;
    fill(details, versionDetails(full, summary.description));
    const form = parameterForm(full.parameters || {}, {
      submitLabel: `Run v${full.version}`,
      onSubmit: (parameters) => submitRun(flow, full.version, parameters, form),
    });
    fill(formHolder, form.el);
  };

  picker.addEventListener('change', () => {
    selected = versions.find((v) => String(v.version) === picker.value) || versions[0];
    const latest = selected === versions[0];
    replaceQuery(latest ? {} : { version: selected.version });
    clearError();
    showVersion(selected).catch((error) => showError(error, 'Could not load that version'));
  });

  const renderRuns = (list) => fill(runsHolder, runsTable(list, { omit: ['flow'], emptyText: 'This flow has not run yet.' }).el,
    h('p', null, h('a', { href: buildHash('/runs', { flow }) }, 'All runs of this flow →')));
  const renderDeps = (list) => fill(depsHolder, list.length ? deploymentsTable(list, ctx, { omit: ['flow'] }).el
    : h('p', { class: 'empty' }, inline('No deployments. Create one with `baton deployment create`.')));

  fillPicker();
  fill(versionsHolder, versionsPanel(flow, versions));
  renderDeps(deps.deployments || []);
  renderRuns(runs.runs || []);

  root.append(
    h('h1', null, flow),
    summary.description ? h('p', { class: 'lede' }, inline(summary.description)) : null,
    section('Run this flow',
      h('div', { class: 'picker' }, h('label', { for: 'version-picker' }, 'Version'), picker),
      details, formHolder),
    section('Versions', versionsHolder),
    section('Deployments', depsHolder),
    section('Recent runs', runsHolder));
  const upcoming = upcomingPanel(flow, ctx);
  root.append(upcoming.el);
  await upcoming.load();

  if (selected) await showVersion(selected);
  else fill(formHolder, empty('This flow has no versions.'));
  ctx.ready();

  const reloadVersions = ctx.debounce(async () => {
    const data = await api.get(`/flows/${enc(flow)}/versions`).catch(() => null);
    if (!data || !ctx.alive) return;
    versions = sortVersions(data.versions || []);
    const keep = versions.find((v) => v.version === selected?.version);
    if (keep) selected = keep;
    fillPicker();
    fill(versionsHolder, versionsPanel(flow, versions));
    if (!keep && versions[0]) { selected = versions[0]; fillPicker(); showVersion(selected).catch(() => {}); }
  });
  const reloadRuns = ctx.debounce(async () => {
    const data = await api.get(`/flow-runs?flow=${enc(flow)}&limit=10`).catch(() => null);
    if (data && ctx.alive) renderRuns(data.runs || []);
  }, 500);
  const reloadDeps = ctx.debounce(async () => {
    const data = await api.get(`/deployments?flow=${enc(flow)}`).catch(() => null);
    if (data && ctx.alive) renderDeps(data.deployments || []);
  });
  ctx.on('version', (v) => { if (v.flow === flow) reloadVersions(); });
  ctx.on('flow_run', (r) => { if (r.flow === flow) reloadRuns(); });
  ctx.on('deployment', (d) => { if (d.flow === flow) reloadDeps(); });
  ctx.on('resync', () => { reloadVersions(); reloadRuns(); reloadDeps(); });
}

function sortVersions(list) {
  return [...list].sort((a, b) => b.version - a.version);
}

/** A version's facts; its description only when it differs from the flow's, shown once at the top. */
function versionDetails(v, flowDescription) {
  const rows = [];
  if (v.description && v.description !== flowDescription) rows.push(h('p', null, inline(v.description)));
  const facts = [
    v.registeredBy ? `registered by ${v.registeredBy}` : null,
    v.tasks ? `${v.tasks.length} task${v.tasks.length === 1 ? '' : 's'}` : null,
    v.sourcePath ? `source ${v.sourcePath}` : null,
  ].filter(Boolean);
  if (facts.length) rows.push(h('p', { class: 'muted' }, facts.join(' · ')));
  if (v.tasks?.length) {
    rows.push(h('details', null, h('summary', null, 'Tasks'),
      h('ul', { class: 'tasks' }, v.tasks.map((t) => h('li', null, h('code', null, t.name),
        t.retries ? ` · ${t.retries} retries` : '', t.timeoutSeconds ? ` · timeout ${t.timeoutSeconds}s` : '',
        t.tags?.length ? ` · ${t.tags.join(', ')}` : '', t.description ? [' — ', inline(t.description)] : '')))));
  }
  return rows;
}

async function submitRun(flow, version, parameters, form) {
  clearError();
  form.setBusy(true);
  try {
    const run = await api.post('/flow-runs', { flow, version, parameters });
    navigate(runHref(run.id));
  } catch (error) {
    form.setBusy(false);
    if (error instanceof ApiError && error.status === 422 && form.showFieldError(error.field, error.message)) return;
    showError(error, 'The run was not started');
  }
}
