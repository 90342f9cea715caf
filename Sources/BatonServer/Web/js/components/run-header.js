// The top of a run's page: identity, state, actions and parameters.
import { api, enc, showError, clearError } from '../api.js';
import { h, stateBadge, flowLink, versionLink, runHref, showValue } from '../dom.js';
import { FINAL_STATES, timeEl, duration, runSeconds } from '../format.js';
import { navigate } from '../router.js';
import { versionText } from './versions.js';
import { dataTable } from './table.js';

const RESUMABLE = new Set(['failed', 'crashed', 'cancelled']);

export function runHeader(run) {
  const facts = [
    ['Flow', flowLink(run.flow)],
    ['Version', versionLink(run.flow, run.version)],
    ['Attempt', String(run.attempt ?? 1)],
    run.deployment ? ['Deployment', h('a', { href: `#/deployments?flow=${enc(run.flow)}` }, run.deployment)] : null,
    run.scheduledTime ? ['Scheduled', timeEl(run.scheduledTime)] : null,
    ['Created', timeEl(run.createdAt)],
    ['Started', timeEl(run.startTime)],
    ['Ended', timeEl(run.endTime)],
    runSeconds(run) !== null ? ['Duration', duration(runSeconds(run))] : null,
    run.pool ? ['Pool', run.pool] : null,
    run.workerID ? ['Worker', run.workerID] : null,
    run.rerunOf ? ['Rerun of', h('a', { href: runHref(run.rerunOf) }, run.rerunOf.slice(0, 8))] : null,
    run.parentFlowRunID ? ['Parent run', h('a', { href: runHref(run.parentFlowRunID) }, run.parentFlowRunID.slice(0, 8))] : null,
  ].filter(Boolean);
  return h('header', { class: 'run-header' },
    h('div', { class: 'title-row' },
      h('h1', null, run.name || run.id),
      h('span', { id: 'run-state' }, stateBadge(run.state, run.stateName))),
    h('p', { class: 'muted small' }, 'id ', h('code', null, run.id)),
    run.message ? h('p', { class: `run-message state-text-${run.state}` }, run.message) : null,
    h('dl', { class: 'facts' }, facts.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))));
}

/** Rerun (with a version picker), Cancel and Resume; `onChange(run)` gets the updated run. */
export function runActions(run, versions, onChange) {
  const select = h('select', { id: 'rerun-version' },
    h('option', { value: 'latest' }, 'latest'),
    versions.map((v) => h('option', { value: String(v.version), selected: v.version === run.version },
      `${versionText(v)}${v.version === run.version ? ' (this run)' : ''}`)));
  const rerun = h('button', { type: 'button', id: 'rerun' }, 'Rerun');
  const cancel = h('button', { type: 'button', id: 'cancel-run', class: 'danger', hidden: FINAL_STATES.has(run.state) || run.state === 'cancelling' }, 'Cancel');
  const resume = h('button', { type: 'button', id: 'resume-run', hidden: !RESUMABLE.has(run.state) }, 'Resume');

  const act = async (button, path, body, go) => {
    clearError();
    button.disabled = true;
    try {
      const result = await api.post(`/flow-runs/${enc(run.id)}/${path}`, body);
      if (go) navigate(runHref(result.id));
      else if (result) onChange(result);
    } catch (error) {
      showError(error, `Could not ${path} this run`);
    } finally {
      button.disabled = false;
    }
  };
  rerun.addEventListener('click', () => {
    const value = select.value === 'latest' ? 'latest' : Number(select.value);
    act(rerun, 'rerun', { version: value }, true);
  });
  cancel.addEventListener('click', () => act(cancel, 'cancel', {}, false));
  resume.addEventListener('click', () => act(resume, 'resume', {}, false));

  return h('div', { class: 'run-actions' },
    h('div', { class: 'rerun' }, h('label', { for: 'rerun-version' }, 'Rerun with version'), select, rerun),
    h('div', { class: 'buttons' }, cancel, resume));
}

export function parametersTable(parameters) {
  const entries = Object.entries(parameters || {});
  if (!entries.length) return h('p', { class: 'empty' }, 'No parameters.');
  return dataTable({
    columns: [
      { label: 'Parameter', cell: ([k]) => h('code', null, k) },
      { label: 'Value', cell: ([, v]) => h('code', { class: 'value' }, showValue(v)) },
    ],
    rows: entries,
    rowAttrs: ([k]) => ({ 'data-param': k }),
  }).el;
}

/** Details of one task run, with its input and result fetched on demand. */
export async function taskDetails(tr) {
  let full = tr;
  try { full = { ...tr, ...(await api.get(`/task-runs/${enc(tr.id)}`)) }; } catch (error) { showError(error, 'Could not load the task run'); }
  const rows = [
    ['Task', h('code', null, full.taskName || '')],
    ['State', stateBadge(full.state, full.stateName)],
    ['Attempts', String(full.attempts ?? '')],
    full.tags?.length ? ['Tags', full.tags.join(', ')] : null,
    ['Started', timeEl(full.startTime, { seconds: true })],
    ['Ended', timeEl(full.endTime, { seconds: true })],
    full.startTime ? ['Duration', duration(runSeconds(full))] : null,
    full.cachedFrom ? ['Cached from', h('code', null, full.cachedFrom)] : null,
    full.childFlowRunID ? ['Subflow run', h('a', { href: runHref(full.childFlowRunID) }, full.childFlowRunID.slice(0, 8))] : null,
    full.message ? ['Message', full.message] : null,
    full.input !== undefined ? ['Input', h('pre', { class: 'code' }, JSON.stringify(full.input, null, 2))] : null,
    full.result !== undefined ? ['Result', h('pre', { class: 'code' }, JSON.stringify(full.result, null, 2))] : null,
  ].filter(Boolean);
  return h('div', { class: 'task-details', 'data-task-run-id': full.id },
    h('h3', null, full.name || full.id),
    h('dl', { class: 'facts' }, rows.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))));
}
