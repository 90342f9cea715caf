// Times shown in the viewer's zone with a relative hint that stays current.
import { h } from './dom.js';

const pad = (n) => String(n).padStart(2, '0');

export function parseDate(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2026-11-21 10:15" in local time. */
export function shortDate(iso) {
  const d = parseDate(iso);
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-11-21 10:15:03" in local time. */
export function fullDate(iso) {
  const d = parseDate(iso);
  return d ? `${shortDate(iso)}:${pad(d.getSeconds())}` : '';
}

/** "10:15:03.123" local, for log lines. */
export function clockTime(iso) {
  const d = parseDate(iso);
  if (!d) return '';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** "3 min ago", "in 2 h", "just now". */
export function relative(iso, now = Date.now()) {
  const d = parseDate(iso);
  if (!d) return '';
  const diff = (d.getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 10) return 'just now';
  const [value, unit] =
    abs < 60 ? [abs, 's'] :
    abs < 3600 ? [abs / 60, 'min'] :
    abs < 86400 ? [abs / 3600, 'h'] :
    [abs / 86400, abs / 86400 >= 2 ? 'days' : 'day'];
  const n = Math.floor(value);
  return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** A <time> showing local date and a relative hint that `refreshRelativeTimes` keeps fresh. */
export function timeEl(iso, { seconds = false } = {}) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: fullDate(iso) },
    seconds ? fullDate(iso) : shortDate(iso), ' ',
    h('span', { class: 'rel', 'data-rel': iso }, relative(iso)));
}

export function refreshRelativeTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('[data-rel]')) el.textContent = relative(el.dataset.rel, now);
}

/**
 * "4 ms", "2.35 s", "3 min 5 s", "1 h 2 min": the precision `baton` prints (Format.duration in
 * Sources/BatonCLI/Terminal.swift), so a run reads the same in the terminal and on the page.
 */
export function duration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return '';
  const secs = Math.max(0, seconds);
  if (secs < 1) return `${Math.round(secs * 1000)} ms`;
  if (secs < 60) return `${secs.toFixed(2)} s`;
  const minutes = Math.floor(secs / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(secs) % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Seconds a run has taken so far, or in all when it ended. */
export function runSeconds(run) {
  if (typeof run.durationSeconds === 'number') return run.durationSeconds;
  const start = parseDate(run.startTime);
  if (!start) return null;
  const end = parseDate(run.endTime) || new Date();
  return (end - start) / 1000;
}

/** Converts a <input type="datetime-local"> value to ISO 8601 with offset, and back. */
export function localInputToIso(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function isoToLocalInput(iso) {
  const d = parseDate(iso);
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const FINAL_STATES = new Set(['completed', 'failed', 'cancelled', 'crashed']);
export const STATE_TYPES = ['scheduled', 'pending', 'running', 'paused', 'completed', 'failed', 'crashed', 'cancelling', 'cancelled'];
