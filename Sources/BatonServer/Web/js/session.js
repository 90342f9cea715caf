// Who is logged in: the session the server knows from its cookie, its CSRF token for changes, and
// the top bar's "signed in as … / Log out". On a server that needs no credentials there is no login.
import { api, setCsrf, whenUnauthorized } from './api.js';
import { h, fill } from './dom.js';
import { buildHash, parseHash, navigate } from './router.js';
import { stopEvents, restartEvents } from './events.js';
import { currentProject, settleProject, chooseProject, onProjectChange } from './project.js';

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
  if (current) settleProject(current.projects);
  showUser();
  return current;
}

/** Logs in with a name and password, or a one-time link's token; throws the server's refusal. */
export async function logIn(credentials) {
  current = await api.post(credentials.token ? '/login/link' : '/login', credentials);
  setCsrf(current.csrf);
  settleProject(current.projects);
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

/** Whether the caller administers the chosen project (a server admin, its admin, an admin key, or
 *  anyone on a server without login). */
function administers(session) {
  if (!session) return false;
  if (!session.authRequired) return true;
  const project = currentProject();
  return session.admin === true || (session.role === 'admin' && session.project === project)
    || (session.roles || {})[project] === 'admin';
}

// Another project chosen: the live stream follows it, and the page shows the new project's things
// (a run's, a flow's or an automation's page goes back to its list: that one is the old project's).
onProjectChange(() => {
  showUser();
  restartEvents();
  const { path } = parseHash();
  const lists = ['/runs/', '/flows/', '/automations/'];
  const list = lists.find((prefix) => path.startsWith(prefix));
  const section = list ? `#${list.slice(0, -1)}` : null;
  navigate(section || location.hash || '#/');
});

/** The top bar's project switcher: the projects the session may work in. */
function showProjects() {
  const el = document.getElementById('project');
  if (!el) return;
  const projects = (current && current.projects) || [];
  if (projects.length === 0) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  const select = h('select', {
    id: 'project-select', 'aria-label': 'Project', 'data-project': currentProject(),
    onchange: (event) => chooseProject(event.target.value),
  }, ...projects.map((name) => h('option', { value: name }, name)));
  select.value = currentProject();
  fill(el, h('label', { for: 'project-select', class: 'muted' }, 'Project'), select);
  el.hidden = false;
}

function showUser() {
  showProjects();
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
