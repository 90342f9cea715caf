// Start-up: routes, the live connection, and the clock that keeps "3 min ago" current.
import { route, startRouter } from './router.js';
import { startEvents } from './events.js';
import { refreshRelativeTimes } from './format.js';
import { dashboardView } from './views/dashboard.js';
import { flowsView } from './views/flows.js';
import { flowView } from './views/flow.js';
import { runsView } from './views/runs.js';
import { runView } from './views/run.js';
import { deploymentsView } from './views/deployments.js';
import { automationsView } from './views/automations.js';
import { automationView } from './views/automation.js';
import { channelsView } from './views/channels.js';
import { webhooksView } from './views/webhooks.js';
import { secretsView } from './views/secrets.js';
import { variablesView } from './views/variables.js';
import { loginView } from './views/login.js';
import { auditView } from './views/audit.js';
import { loadSession, requireLogin } from './session.js';

route('/', 'dashboard', dashboardView);
route('/flows', 'flows', flowsView);
route('/flows/:flow', 'flow', flowView);
route('/runs', 'runs', runsView);
route('/runs/:id', 'run', runView);
route('/deployments', 'deployments', deploymentsView);
route('/automations', 'automations', automationsView);
route('/automations/:name', 'automation', automationView);
route('/channels', 'channels', channelsView);
route('/webhooks', 'webhooks', webhooksView);
route('/secrets', 'secrets', secretsView);
route('/variables', 'variables', variablesView);
route('/login', 'login', loginView);
route('/audit', 'audit', auditView);

// Live events need a session (or a server without login): start them once there is one.
const session = await loadSession().catch(() => null);
if (session) startEvents();
else requireLogin();
window.addEventListener('baton-login', () => startEvents());
startRouter();
setInterval(() => refreshRelativeTimes(), 30000);
