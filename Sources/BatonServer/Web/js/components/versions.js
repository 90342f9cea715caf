// The versions of a flow: the picker's option text, and a list where any two can be diffed.
import { api, enc, showError } from '../api.js';
import { h, fill, showValue, versionLink } from '../dom.js';
import { shortDate, timeEl } from '../format.js';
import { dataTable } from './table.js';

/** "v3 · label · 1a2b3c4d · 2026-11-21 10:15" */
export function versionText(v) {
  return [`v${v.version}`, v.label, (v.hash || '').slice(0, 8), shortDate(v.registeredAt)].filter(Boolean).join(' · ');
}

/** versions newest first; returns an element with the table, the Diff button and the result area. */
export function versionsPanel(flow, versions) {
  const result = h('div', { class: 'diff-result', 'aria-live': 'polite' });
  const radio = (group, v, checked) => h('input', {
    type: 'radio', name: `diff-${group}`, value: String(v.version), checked,
    'aria-label': `${group === 'from' ? 'Diff from' : 'Diff to'} v${v.version}`,
  });
  const table = dataTable({
    columns: [
      { label: 'From', class: 'pick', cell: (v) => radio('from', v, versions.length > 1 && v === versions[1]) },
      { label: 'To', class: 'pick', cell: (v) => radio('to', v, v === versions[0]) },
      { label: 'Version', cell: (v) => versionLink(flow, v.version) },
      { label: 'Label', cell: (v) => v.label || '' },
      { label: 'Hash', cell: (v) => h('code', { title: v.hash }, (v.hash || '').slice(0, 8)) },
      { label: 'Registered', cell: (v) => timeEl(v.registeredAt) },
      { label: 'By', cell: (v) => v.registeredBy || '' },
    ],
    rows: versions,
    rowAttrs: (v) => ({ 'data-version': v.version }),
  });

  const button = h('button', { type: 'button', id: 'diff-button', disabled: versions.length < 2 }, 'Diff');
  button.addEventListener('click', async () => {
    const from = table.el.querySelector('input[name="diff-from"]:checked')?.value;
    const to = table.el.querySelector('input[name="diff-to"]:checked')?.value;
    if (!from || !to) { fill(result, h('p', { class: 'muted' }, 'Pick a version in each column.')); return; }
    if (from === to) { fill(result, h('p', { class: 'muted' }, 'Pick two different versions.')); return; }
    button.disabled = true;
    try {
      const diff = await api.get(`/flows/${enc(flow)}/versions/${enc(from)}/diff/${enc(to)}`);
      fill(result, diffTable(diff));
    } catch (error) {
      showError(error, 'Diff failed');
    } finally {
      button.disabled = false;
    }
  });

  return h('div', { class: 'versions' }, table.el,
    h('div', { class: 'actions' }, button, h('span', { class: 'muted' }, ' compare the versions picked in From and To')),
    result);
}

function diffTable(diff) {
  const heading = h('h3', null, `Changes from v${diff.from} to v${diff.to}`);
  if (!diff.changes?.length) return h('div', null, heading, h('p', { class: 'empty' }, 'No differences.'));
  const value = (v) => (v === null || v === undefined ? h('span', { class: 'muted' }, '—') : h('code', null, showValue(v)));
  return h('div', null, heading, dataTable({
    columns: [
      { label: 'Path', cell: (c) => h('code', null, c.path) },
      { label: `v${diff.from}`, cell: (c) => value(c.from) },
      { label: `v${diff.to}`, cell: (c) => value(c.to) },
    ],
    rows: diff.changes,
    rowAttrs: (c) => ({ class: c.from === null || c.from === undefined ? 'added' : c.to === null || c.to === undefined ? 'removed' : 'changed' }),
  }).el);
}
