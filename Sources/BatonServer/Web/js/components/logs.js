// Run logs: fetched in pages with `after`, then appended live once the last page is in.
import { api, enc, queryString, showError } from '../api.js';
import { h, fill } from '../dom.js';
import { clockTime, fullDate } from '../format.js';

export const LEVELS = ['debug', 'info', 'warning', 'error'];
const PAGE = 500;

/** `level` is the least severe level shown; returns {el, append(entry), catchUp(), level}. */
export function logsPanel(runId, { level = 'debug', onLevelChange } = {}) {
  let minLevel = LEVELS.includes(level) ? level : 'debug';
  let lastId = 0;
  let complete = false;   // true once the newest page has been fetched
  let generation = 0;     // bumps on level change so late responses are dropped
  let loading = null;
  let held = [];          // live lines that came while a page was loading

  const list = h('div', { id: 'logs', class: 'logs', role: 'log', 'aria-live': 'off', tabindex: 0, 'aria-label': 'Logs' });
  const more = h('button', { type: 'button', id: 'logs-more', hidden: true }, 'Load more');
  const select = h('select', { id: 'log-level' }, LEVELS.map((l) => h('option', { value: l, selected: l === minLevel }, l)));
  const count = h('span', { class: 'muted small', 'aria-live': 'polite' });

  const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  const passes = (entry) => LEVELS.indexOf(entry.level) >= LEVELS.indexOf(minLevel);
  const updateCount = () => { count.textContent = `${list.childElementCount} line${list.childElementCount === 1 ? '' : 's'}`; };

  const addLines = (entries) => {
    const stick = atBottom();
    for (const entry of entries) {
      if (entry.id <= lastId) continue;
      lastId = entry.id;
      if (passes(entry)) list.append(logLine(entry));
    }
    if (stick) list.scrollTop = list.scrollHeight;
    updateCount();
  };

  const fetchPage = async () => {
    const gen = generation;
    const data = await api.get(`/flow-runs/${enc(runId)}/logs${queryString({ after: lastId || '', limit: PAGE, level: minLevel })}`);
    if (gen !== generation) return;
    const logs = data.logs || [];
    addLines(logs);
    if (typeof data.nextAfter === 'number' && data.nextAfter > lastId) lastId = data.nextAfter;
    complete = logs.length < PAGE;
    more.hidden = complete;
    if (complete && held.length) addLines(held.sort((a, b) => a.id - b.id));
    held = [];
  };
  const load = () => {
    loading ||= fetchPage().finally(() => { loading = null; });
    return loading;
  };

  more.addEventListener('click', () => load().catch((error) => showError(error, 'Could not load more logs')));
  select.addEventListener('change', () => {
    minLevel = select.value;
    generation++;
    lastId = 0;
    complete = false;
    loading = null;
    held = [];
    fill(list);
    onLevelChange?.(minLevel);
    load().catch((error) => showError(error, 'Could not load logs'));
  });

  const el = h('div', { class: 'logs-panel' },
    h('div', { class: 'toolbar' }, h('label', { for: 'log-level' }, 'Level at least'), select, count),
    list, more);

  return {
    el,
    load,
    /** A live log line; ignored until the pages before it are loaded, when paging will bring it. */
    append(entry) {
      if (loading) held.push(entry);
      else if (complete) addLines([entry]);
    },
    /** After a lost connection: fetch whatever arrived meanwhile. */
    catchUp() {
      complete = false;
      return load();
    },
  };
}

function logLine(entry) {
  return h('div', { class: `log-line level-${entry.level}`, 'data-level': entry.level, 'data-log-id': entry.id },
    h('time', { datetime: entry.timestamp, title: fullDate(entry.timestamp) }, clockTime(entry.timestamp)),
    h('span', { class: 'level' }, entry.level),
    h('span', { class: 'task' }, entry.taskRunName || 'flow'),
    h('span', { class: 'msg' }, entry.message));
}
