// The form that creates an automation, for the common cases: a trigger (a run entering states, no
// run reaching a state in time, a worker gone, a deployment's success rate falling), the runs it
// watches (a flow, a deployment), one or more actions in order, and a cooldown.
import { h, fill } from '../dom.js';
import { createForm, FormProblem, HTTP_URL, labelled, checkbox, choice } from './create-form.js';

// The states a trigger may name (AutomationTrigger.stateWords): the state types, then the names
// of states that vary one.
const STATE_WORDS = ['failed', 'crashed', 'cancelled', 'completed', 'running', 'pending', 'scheduled', 'paused', 'cancelling',
  'late', 'timedout', 'awaitingretry', 'retrying', 'resuming'];
const TRIGGERS = [
  ['state', 'a run enters a state'],
  ['absent', 'no run reaches a state in time'],
  ['worker-offline', 'a worker goes offline'],
  ['success-rate', 'a deployment\'s success rate drops'],
];
const ACTIONS = [
  ['notify', 'notify a channel'],
  ['webhook', 'call a URL'],
  ['run-deployment', 'run a deployment'],
  ['pause-deployment', 'pause a deployment'],
  ['cancel-run', 'cancel the run'],
];
const MAX_ACTIONS = 10;

/**
 * `lists` holds the project's channels, flows and deployments (names) to choose from; `send(body)`
 * creates the automation and returns what the status line says.
 */
export function automationForm(lists, send) {
  const name = h('input', { name: 'name', maxlength: 100, autocomplete: 'off', spellcheck: 'false', placeholder: 'etl-failures' });
  const cooldown = h('input', { name: 'cooldown', type: 'number', min: 0, step: 1, value: '0', class: 'narrow', inputmode: 'numeric' });
  const kind = choice({ name: 'trigger' }, TRIGGERS);

  // state
  const states = h('div', { class: 'checks', role: 'group', 'aria-label': 'States' },
    STATE_WORDS.map((s) => checkbox(s, { name: 'states', value: s, checked: s === 'failed' || s === 'crashed' })));
  // absent
  const expected = choice({ name: 'expected' }, STATE_WORDS);
  expected.value = 'completed';
  const within = h('input', { name: 'within', type: 'number', min: 1, step: 1, value: '60', class: 'narrow', inputmode: 'numeric' });
  // worker-offline
  const pool = h('input', { name: 'pool', autocomplete: 'off', spellcheck: 'false', placeholder: 'any pool' });
  // success-rate
  const runs = h('input', { name: 'runs', type: 'number', min: 1, max: 1000, step: 1, value: '10', class: 'narrow', inputmode: 'numeric' });
  const threshold = h('input', { name: 'threshold', type: 'number', min: 1, max: 100, step: 1, value: '90', class: 'narrow', inputmode: 'numeric' });
  // the runs it watches
  const flow = choice({ name: 'flow' }, lists.flows, 'any flow');
  const deployment = choice({ name: 'deployment' }, lists.deployments, 'any deployment');

  const parts = {
    state: h('div', { class: 'row', 'data-trigger': 'state' }, states),
    absent: h('div', { class: 'row', 'data-trigger': 'absent' },
      labelled('No run reaching', expected), labelled('Within (minutes)', within, 'of the last one')),
    'worker-offline': h('div', { class: 'row', 'data-trigger': 'worker-offline' }, labelled('Pool', pool, 'optional')),
    'success-rate': h('div', { class: 'row', 'data-trigger': 'success-rate' },
      labelled('Over the last (runs)', runs), labelled('Below (%)', threshold, 'completed among finished runs')),
  };
  const scope = h('div', { class: 'row', 'data-scope': '' },
    labelled('Flow', flow), labelled('Deployment', deployment));
  const scopeHint = h('p', { class: 'hint' });
  const showTrigger = () => {
    for (const [key, part] of Object.entries(parts)) part.hidden = key !== kind.value;
    scope.hidden = kind.value === 'worker-offline';
    scopeHint.hidden = scope.hidden;
    scopeHint.textContent = {
      state: 'Only runs of these, when chosen.',
      absent: 'A flow or a deployment: the runs whose absence it watches.',
      'success-rate': 'The deployment whose runs it counts.',
    }[kind.value] || '';
  };
  kind.addEventListener('change', showTrigger);
  showTrigger();

  // The action rows in order, each with the function that reads it.
  const actionRows = h('div', { class: 'action-rows' });
  const actions = [];
  const addAction = h('button', { type: 'button', 'data-action': 'add-action' }, 'Add action');
  const add = () => {
    const action = actionRow(lists, () => {
      actions.splice(actions.indexOf(action), 1);
      addAction.disabled = false;
    });
    actions.push(action);
    actionRows.append(action.el);
    addAction.disabled = actions.length >= MAX_ACTIONS;
    return action;
  };
  addAction.addEventListener('click', () => add().el.querySelector('select').focus());
  add();

  const read = () => {
    const body = { name: name.value.trim(), trigger: readTrigger(), actions: [], cooldown: 0 };
    if (!body.name) throw new FormProblem('An automation needs a name.', name);
    for (const action of actions) body.actions.push(action.read());
    if (!body.actions.length) throw new FormProblem('An automation needs an action: add one.', addAction);
    if (body.trigger.kind !== 'state' && body.actions.some((a) => a.kind === 'cancel-run')) {
      throw new FormProblem('"Cancel the run" cancels the run that fired it: it needs the trigger "a run enters a state".', kind);
    }
    const minutes = wholeNumber(cooldown, 'Cooldown', 0);
    body.cooldown = minutes * 60;
    return body;
  };

  const readTrigger = () => {
    const trigger = { kind: kind.value };
    if (kind.value === 'state') {
      trigger.states = [...states.querySelectorAll('input:checked')].map((c) => c.value);
      if (!trigger.states.length) throw new FormProblem('Choose the states that fire it: one or more.', states.querySelector('input'));
    } else if (kind.value === 'absent') {
      trigger.expected = expected.value;
      trigger.within = wholeNumber(within, 'Within', 1) * 60;
    } else if (kind.value === 'worker-offline') {
      if (pool.value.trim()) trigger.pool = pool.value.trim();
      return trigger;
    } else {
      trigger.runs = wholeNumber(runs, 'Over the last', 1);
      const percent = Number(threshold.value);
      if (!(percent > 0 && percent <= 100)) throw new FormProblem(`Below '${threshold.value}' is not valid: expected a percentage above 0 and up to 100.`, threshold);
      trigger.threshold = percent / 100;
    }
    if (flow.value) trigger.flow = flow.value;
    if (deployment.value) trigger.deployment = deployment.value;
    if (kind.value === 'absent' && !trigger.flow && !trigger.deployment) {
      throw new FormProblem('No run of what? Choose the flow or the deployment whose runs it watches.', flow);
    }
    if (kind.value === 'success-rate' && !trigger.deployment) {
      throw new FormProblem('A success rate is a deployment\'s: choose the deployment.', deployment);
    }
    return trigger;
  };

  const form = createForm('automation-create', {
    fields: [
      h('div', { class: 'row' }, labelled('Name', name), labelled('Cooldown (minutes)', cooldown, 'firings within it are only recorded')),
      h('fieldset', null, h('legend', null, 'When'), h('div', { class: 'row' }, labelled('Trigger', kind)),
        Object.values(parts), scope, scopeHint),
      h('fieldset', null, h('legend', null, 'Then'), actionRows, addAction),
    ],
    submitLabel: 'Create automation',
    read,
    send: async (body) => {
      const said = await send(body);
      name.value = '';
      return said;
    },
  });
  return form;
}

/** One action: its kind, and the channel, URL or deployment it takes. Returns {el, read()}. */
function actionRow(lists, onRemove) {
  const kind = choice({ name: 'action-kind' }, ACTIONS);
  const channel = choice({ name: 'action-channel' }, lists.channels, lists.channels.length ? null : 'no channels yet');
  const url = h('input', { name: 'action-url', type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://example.com/hook' });
  const deployment = choice({ name: 'action-deployment' }, lists.deployments, lists.deployments.length ? null : 'no deployments yet');
  const argument = h('span', { class: 'argument' });
  const controls = {
    notify: [labelled('Channel', channel), lists.channels.length ? null : h('a', { href: '#/channels', class: 'small' }, 'Create a channel')],
    webhook: labelled('URL', url),
    deployment: labelled('Deployment', deployment),
    'cancel-run': h('span', { class: 'muted small' }, 'the run that fired it (state triggers only)'),
  };
  const show = () => fill(argument, controls[kind.value.endsWith('-deployment') ? 'deployment' : kind.value]);
  kind.addEventListener('change', show);
  show();
  const el = h('div', { class: 'row action-row' }, labelled('Action', kind), argument,
    h('button', { type: 'button', class: 'link', 'aria-label': 'Remove this action', onclick: () => { el.remove(); onRemove(); } }, '×'));
  const read = () => {
    const action = { kind: kind.value };
    if (kind.value === 'notify') {
      if (!channel.value) throw new FormProblem('Notify which channel? Create one on the Channels page first.', channel);
      action.channel = channel.value;
    } else if (kind.value === 'webhook') {
      if (!HTTP_URL.test(url.value.trim())) throw new FormProblem(`URL '${url.value.trim()}' is not valid: expected an http:// or https:// URL.`, url);
      action.url = url.value.trim();
    } else if (kind.value !== 'cancel-run') {
      if (!deployment.value) throw new FormProblem('Which deployment? This project has none yet.', deployment);
      action.deployment = deployment.value;
    }
    return action;
  };
  return { el, read };
}

/** A whole number of at least `min` from a number field, or a FormProblem naming the field. */
function wholeNumber(input, label, min) {
  const text = input.value.trim();
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || n < min) {
    throw new FormProblem(`${label} '${text}' is not valid: expected a whole number of ${min} or more.`, input);
  }
  return n;
}
