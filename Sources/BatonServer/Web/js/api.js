// One place that talks HTTP to /api and turns failures into ApiError.
import { h, fill } from './dom.js';
import { currentProject } from './project.js';

/** An error from the API (`{error, message, field?}`) or from the network. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// The login session's CSRF token, which every change made with the session's cookie must carry.
let csrfToken = null;
export function setCsrf(token) { csrfToken = token || null; }

// What to do when the server says the caller is not (or no longer) logged in: go to the login page.
let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

async function request(method, path, body, { scoped = true } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (method !== 'GET' && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${scoped ? withProject(path) : path}`, init);
  } catch (cause) {
    throw new ApiError(0, 'network', 'The Baton server cannot be reached. Is it running?');
  }
  if (response.status === 204) return null;
  const textBody = await response.text();
  let json = null;
  if (textBody) {
    try { json = JSON.parse(textBody); } catch { json = null; }
  }
  if (response.status === 401 && !path.startsWith('/login') && path !== '/session') onUnauthorized();
  if (!response.ok) {
    const message = (json && json.message) || `${method} ${path} failed with HTTP ${response.status}`;
    throw new ApiError(response.status, (json && json.error) || 'http', message, json && json.field);
  }
  return json;
}

/** `path` working in the chosen project: every request names it, so every page shows that project's things. */
export function withProject(path) {
  return `${path}${path.includes('?') ? '&' : '?'}project=${encodeURIComponent(currentProject())}`;
}

/** Builds "?a=1&b=2" from an object, leaving out empty values. */
export function queryString(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const str = q.toString();
  return str ? `?${str}` : '';
}

export const enc = encodeURIComponent;

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body = {}) => request('POST', path, body),
  put: (path, body = {}) => request('PUT', path, body),
  del: (path) => request('DELETE', path),
};

const banner = () => document.getElementById('banner');

/** Shows an error in the banner at the top of the page until dismissed or the page changes. */
export function showError(error, context) {
  const el = banner();
  if (!el) return;
  const message = error instanceof Error ? error.message : String(error);
  const text = context ? `${context}: ${message}` : message;
  fill(el,
    h('span', { class: 'banner-text' }, text),
    h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: clearError }, '×'));
  el.hidden = false;
}

export function clearError() {
  const el = banner();
  if (el) { el.hidden = true; el.replaceChildren(); }
}
