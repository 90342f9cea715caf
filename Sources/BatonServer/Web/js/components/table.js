// A plain data table: columns declare a header and how to render a cell.
// Rows can be rebuilt one at a time so live updates do not redraw the table.
import { h, stateBadge, flowLink, versionLink, runLink } from '../dom.js';
import { timeEl, duration, runSeconds } from '../format.js';

/**
 * columns: [{label, cell(row) -> Node|string, class?}]
 * rowAttrs(row) -> attributes for the <tr> (data-* used by tests and live updates).
 */
export function dataTable({ columns, rows, rowAttrs = () => ({}), emptyText = 'Nothing yet.', caption }) {
  const tbody = h('tbody', null, rows.map((row) => tableRow(columns, row, rowAttrs)));
  const table = h('table', { class: 'data' },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    tbody);
  const emptyRow = () => h('tr', { class: 'empty-row' }, h('td', { colspan: columns.length }, emptyText));
  if (rows.length === 0) tbody.append(emptyRow());
  return {
    el: table,
    tbody,
    /** Replaces the row that `find` matches, or returns false when none does. */
    replace(row, selector) {
      const existing = tbody.querySelector(selector);
      if (!existing) return false;
      existing.replaceWith(tableRow(columns, row, rowAttrs));
      return true;
    },
    prepend(row) {
      tbody.querySelector('.empty-row')?.remove();
      tbody.prepend(tableRow(columns, row, rowAttrs));
    },
    append(row) {
      tbody.querySelector('.empty-row')?.remove();
      tbody.append(tableRow(columns, row, rowAttrs));
    },
    trim(max) {
      const rowsEls = tbody.querySelectorAll('tr');
      for (let i = max; i < rowsEls.length; i++) rowsEls[i].remove();
    },
  };
}

export function tableRow(columns, row, rowAttrs = () => ({})) {
  return h('tr', rowAttrs(row), columns.map((c) => h('td', { class: c.class }, c.cell(row))));
}

/** Builds a table from an array of plain objects (artifact tables, parameters). */
export function objectsTable(rows) {
  const keys = [];
  for (const row of rows) {
    for (const key of Object.keys(row || {})) if (!keys.includes(key)) keys.push(key);
  }
  return dataTable({
    columns: keys.map((key) => ({ label: key, cell: (row) => cellText(row?.[key]) })),
    rows,
  }).el;
}

export function cellText(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The usual flow-run columns; `omit` drops some (e.g. "flow" on a flow's own page). */
export function runColumns(omit = []) {
  const all = [
    { key: 'name', label: 'Run', cell: (r) => runLink(r) },
    { key: 'flow', label: 'Flow', cell: (r) => flowLink(r.flow) },
    { key: 'version', label: 'Version', cell: (r) => versionLink(r.flow, r.version) },
    { key: 'state', label: 'State', cell: (r) => stateBadge(r.state, r.stateName) },
    { key: 'start', label: 'Start', cell: (r) => timeEl(listTime(r)) },
    { key: 'scheduled', label: 'Scheduled for', cell: (r) => timeEl(r.scheduledTime) },
    { key: 'duration', label: 'Duration', class: 'num', cell: (r) => duration(runSeconds(r)) },
    { key: 'deployment', label: 'Deployment', cell: (r) => r.deployment || '' },
  ];
  return all.filter((c) => !omit.includes(c.key));
}

/** The time the API lists a run at (RunTiming.listTime): its start, else its scheduled time, else its creation. */
export function listTime(r) {
  return r.startTime || r.scheduledTime || r.createdAt;
}

export const runRowAttrs = (r) => ({ 'data-run-id': r.id, 'data-state': r.state, 'data-state-name': r.stateName });

/** Runs that happened (or are due): when each started. */
export function runsTable(runs, { omit = [], emptyText = 'No runs.' } = {}) {
  return dataTable({ columns: runColumns(['scheduled', ...omit]), rows: runs, rowAttrs: runRowAttrs, emptyText });
}

/** Runs by when they are (or were) due, without a duration: upcoming and late runs. */
export function scheduledTable(runs, { omit = [], emptyText = 'Nothing is scheduled ahead.' } = {}) {
  return dataTable({ columns: runColumns(['start', 'duration', ...omit]), rows: runs, rowAttrs: runRowAttrs, emptyText });
}
