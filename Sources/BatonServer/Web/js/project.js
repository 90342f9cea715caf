// The project the UI works in: one of those the session may work in, chosen in the top bar's
// switcher, remembered in this browser, and sent with every request and the live stream
// (`?project=`), so that every page shows that project's flows, runs and deployments only.
const KEY = 'baton.project';
const DEFAULT = 'default';
let current = readStored() || DEFAULT;
const listeners = new Set();

function readStored() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

/** The project every request works in. */
export function currentProject() { return current; }

/** Calls `fn` after the project changes. */
export function onProjectChange(fn) { listeners.add(fn); }

/** Keeps the current project among `projects` (the session's), else falls back to default or the first. */
export function settleProject(projects) {
  if (!projects || projects.length === 0 || projects.includes(current)) return current;
  current = projects.includes(DEFAULT) ? DEFAULT : projects[0];
  return current;
}

/** Works in `name` from now on, and tells every listener. */
export function chooseProject(name) {
  if (!name || name === current) return;
  current = name;
  try { localStorage.setItem(KEY, name); } catch { /* private mode: for this page only */ }
  for (const fn of [...listeners]) fn(name);
}
