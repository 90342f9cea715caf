// Who is logged in: the session the server knows from its cookie, its CSRF token for changes, and
// the top bar's "signed in as … / Log out". On a server that needs no credentials there is no login.
import { api, setCsrf, whenUnauthorized } from './api.js';
import { h, fill } from './dom.js';
import { buildHash, parseHash } from './router.js';
import { stopEvents } from './events.js';

let current = null;

/** The session (`GET /api/session`), or null when the caller is not logged in. */
export async function loadSession() {
  try {
    current = await api.get('/session');
  } catch (error) {
    if (error.status !== 401) throw error;
    current = null;
  }
  setCsrf(current && current.csrf);
  showUser();
  return current;
}

/** Logs in with a name and password, or a one-time link's token; throws the server's refusal. */
export async function logIn(credentials) {
  current = await api.post(credentials.token ? '/login/link' : '/login', credentials);
  setCsrf(current.csrf);
  showUser();
  window.dispatchEvent(new Event('baton-login'));
  return current;
}

export async function logOut() {
  try { await api.post('/logout'); } finally {
    stopEvents();
    current = null;
    setCsrf(null);
    showUser();
    location.hash = '#/login';
  }
}

/** Sends the reader to the login page, to come back to where they were once logged in. */
export function requireLogin() {
  const { path, query } = parseHash();
  if (path === '/login') return;
  const next = buildHash(path, query).slice(1);
  location.hash = buildHash('/login', next === '/' ? {} : { next });
}

whenUnauthorized(() => { stopEvents(); current = null; setCsrf(null); showUser(); requireLogin(); });

/** Whether the caller administers (a server admin, an admin key, or anyone on a server without login). */
function administers(session) {
  if (!session) return false;
  if (!session.authRequired) return true;
  return session.admin === true || session.role === 'admin' || Object.values(session.roles || {}).includes('admin');
}

function showUser() {
  const audit = document.querySelector('[data-nav=audit]');
  if (audit) audit.hidden = !administers(current);
  const el = document.getElementById('who');
  if (!el) return;
  if (!current || !current.user) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  fill(el,
    h('span', { class: 'muted', 'data-user': current.user }, current.user),
    h('button', { type: 'button', class: 'link', 'data-action': 'logout', onclick: logOut }, 'Log out'));
  el.hidden = false;
}
