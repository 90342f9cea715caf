// One flow run: header and actions, state timeline, task graph, Gantt, live logs, artifacts.
import { api, enc } from '../api.js';
import { h, fill, section, placeholder } from '../dom.js';
import { FINAL_STATES } from '../format.js';
import { setEventScope } from '../events.js';
import { replaceQuery } from '../router.js';
import { runHeader, runActions, parametersTable, taskDetails } from '../components/run-header.js';
import { stateTimeline } from '../components/timeline.js';
import { taskGraph } from '../components/graph.js';
import { gantt } from '../components/gantt.js';
import { logsPanel } from '../components/logs.js';
import { artifactsList } from '../components/artifacts.js';
import { runsTable } from '../components/table.js';

export async function runView(root, ctx) {
  const loading = placeholder('the run');
  root.append(loading);
  let run, id, base, states, graphData, tasks, artifacts, versions, subflows;
  try {
    run = await api.get(`/flow-runs/${enc(ctx.params.id)}`);
    id = run.id;
    base = `/flow-runs/${enc(id)}`;
    [states, graphData, tasks, artifacts, versions, subflows] = await Promise.all([
      api.get(`${base}/states`).catch(() => ({ states: [] })),
      api.get(`${base}/graph`).catch(() => ({ nodes: [], edges: [] })),
      api.get(`${base}/task-runs`).catch(() => ({ taskRuns: [] })),
      api.get(`${base}/artifacts`).catch(() => ({ artifacts: [] })),
      api.get(`/flows/${enc(run.flow)}/versions`).catch(() => ({ versions: [] })),
      api.get(`${base}/subflows`).catch(() => ({ runs: [] })),
    ]);
  } finally {
    loading.remove();
  }

  const taskRuns = new Map((tasks.taskRuns || []).map((t) => [t.id, t]));
  let stateList = states.states || [];
  let graph = null;
  const versionList = [...(versions.versions || [])].sort((a, b) => b.version - a.version);

  const page = h('div', { class: 'run-page', 'data-run-state': run.state, 'data-run-id': id });
  const headerHolder = h('div');
  const actionsHolder = h('div');
  const paramsHolder = h('div');
  const timelineHolder = h('div');
  const graphHolder = h('div');
  const detailsHolder = h('div', { class: 'details-holder', 'aria-live': 'polite' });
  const ganttHolder = h('div');
  const artifactsHolder = h('div');
  const subflowsSection = section('Subflow runs');

  const taskNames = () => new Map([...taskRuns.values()].map((t) => [t.id, t.name]));
  const selectTask = async (taskId) => {
    const tr = taskRuns.get(taskId) || graph?.nodes?.find((n) => n.id === taskId) || { id: taskId };
    const details = await taskDetails(tr);
    if (ctx.alive) fill(detailsHolder, details, h('button', { type: 'button', class: 'link', onclick: () => fill(detailsHolder) }, 'Close'));
  };

  const renderHeader = () => {
    page.dataset.runState = run.state;
    fill(headerHolder, runHeader(run));
    const picked = actionsHolder.querySelector('#rerun-version')?.value;
    fill(actionsHolder, runActions(run, versionList, (updated) => { if (updated.id === id) { run = updated; renderHeader(); } }));
    if (picked) actionsHolder.querySelector('#rerun-version').value = picked;
  };
  const renderGraph = (data) => {
    graph = data;
    // Task runs the graph endpoint reported in an older state are brought up to date.
    for (const n of data.nodes || []) {
      const known = taskRuns.get(n.id);
      if (known) { n.state = known.state; n.stateName = known.stateName; }
    }
    const drawn = taskGraph(data, { onSelect: selectTask });
    graph.draw = drawn;
    fill(graphHolder, drawn.el);
  };
  const renderGantt = () => fill(ganttHolder, gantt([...taskRuns.values()]));
  const renderTimeline = () => fill(timelineHolder, stateTimeline(stateList));
  const renderArtifacts = (list) => fill(artifactsHolder, artifactsList(list, taskNames()));
  const renderSubflows = (list) => {
    subflowsSection.hidden = !list.length;
    subflowsSection.replaceChildren(subflowsSection.firstChild, runsTable(list, { omit: ['deployment'] }).el);
  };

  const logs = logsPanel(id, {
    level: ctx.query.level,
    onLevelChange: (level) => replaceQuery(level === 'debug' ? {} : { level }),
  });

  renderHeader();
  fill(paramsHolder, parametersTable(run.parameters));
  renderTimeline();
  renderGraph(graphData);
  renderGantt();
  renderArtifacts(artifacts.artifacts || []);
  renderSubflows(subflows.runs || []);

  page.append(headerHolder, actionsHolder,
    section('Parameters', paramsHolder),
    section('State history', timelineHolder),
    section('Task runs', graphHolder, detailsHolder),
    section('Timing', ganttHolder),
    section('Logs', logs.el),
    section('Artifacts', artifactsHolder),
    subflowsSection);
  root.append(page);
  await logs.load().catch(() => {});
  ctx.ready();

  // Live updates. Re-fetches are debounced; task states are patched in place.
  const refetchStates = ctx.debounce(async () => {
    const data = await api.get(`${base}/states`).catch(() => null);
    if (data && ctx.alive) { stateList = data.states || []; renderTimeline(); }
  });
  const refetchGraph = ctx.debounce(async () => {
    const data = await api.get(`${base}/graph`).catch(() => null);
    if (data && ctx.alive) renderGraph(data);
  }, 500);
  const refetchTasks = ctx.debounce(async () => {
    const data = await api.get(`${base}/task-runs`).catch(() => null);
    if (!data || !ctx.alive) return;
    for (const t of data.taskRuns || []) taskRuns.set(t.id, t);
    renderGantt();
  }, 500);
  const refetchArtifacts = ctx.debounce(async () => {
    const data = await api.get(`${base}/artifacts`).catch(() => null);
    if (data && ctx.alive) renderArtifacts(data.artifacts || []);
  }, 1000);
  const refetchSubflows = ctx.debounce(async () => {
    const data = await api.get(`${base}/subflows`).catch(() => null);
    if (data && ctx.alive) renderSubflows(data.runs || []);
  }, 500);
  const redrawGantt = ctx.debounce(renderGantt, 300);

  ctx.on('flow_run', (updated) => {
    if (updated.id === id) {
      run = updated;
      renderHeader();
      refetchStates();
      refetchArtifacts();
      if (FINAL_STATES.has(run.state)) refetchTasks();
    } else if (updated.parentFlowRunID === id) {
      refetchSubflows();
    }
  });
  ctx.on('task_runs', (event) => {
    if (event.flowRunID !== id) return;
    let missing = false;
    for (const tr of event.taskRuns || []) {
      taskRuns.set(tr.id, { ...taskRuns.get(tr.id), ...tr });
      const node = graph?.nodes?.find((n) => n.id === tr.id);
      if (node) { node.state = tr.state; node.stateName = tr.stateName; }
      if (!graph?.draw?.setState(tr)) missing = true;
    }
    if (missing) refetchGraph();
    redrawGantt();
    refetchArtifacts();
  });
  ctx.on('log', (entry) => { if (entry.flowRunID === id) logs.append(entry); });
  ctx.on('resync', async () => {
    const fresh = await api.get(base).catch(() => null);
    if (fresh && ctx.alive) { run = fresh; renderHeader(); }
    refetchStates(); refetchGraph(); refetchTasks(); refetchArtifacts(); refetchSubflows();
    logs.catchUp().catch(() => {});
  });
  // Narrowing the stream to this run reconnects it; the server's hello then triggers the resync
  // above, which catches whatever changed since the fetches of this page.
  setEventScope(id);
  // A running run's open-ended bars grow with the clock.
  ctx.interval(() => {
    if (!FINAL_STATES.has(run.state)) { renderTimeline(); renderGantt(); }
  }, 5000);
}
