/**
 * The view page: picks a job, then every few seconds refreshes the node table and every panel. When
 * Prometheus stops answering, what was drawn stays, the page says since when, and once it answers again the
 * gap is named and shaded in the charts.
 */
import { getJson, inBatches, instantQuery, rangeQuery, whenDown, type Down, type Fetched, type SeriesRange, type SeriesSample } from './api.js';
import { PanelChart, chartSeries, type Outage } from './charts.js';
import { clockTime, formatValue, legendText, sampleNumber } from './format.js';
import { groupRows, nodeQueries, type NodeQueryName } from './node-rows.js';
import { renderNodes } from './nodes-view.js';
import { renderScrapeBanner } from './scrape-banner.js';
import { VIEW_PATHS, type GatewayScrapeAnswer, type NodeHealthRule, type ViewPanel, type ViewPanelsAnswer, type ViewSettings } from '../../monitoring/view-contract.js';

interface PanelView {
  readonly panel: ViewPanel;
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  readonly chart: PanelChart | undefined;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`page element #${id} is missing`);
  return found as T;
}

const jobPicker = byId<HTMLSelectElement>('job-picker');
const windowPicker = byId<HTMLSelectElement>('window-picker');
const statusLine = byId<HTMLElement>('status');
const banner = byId<HTMLElement>('banner');
const scrapeBanner = byId<HTMLElement>('scrape-banner');
const panelsRoot = byId<HTMLElement>('panels');

const outages: Outage[] = [];
let panelsKey = '';
let panelViews: PanelView[] = [];
let answer: ViewPanelsAnswer | undefined;
let lastSuccess: number | undefined;
let refreshing = false;
/** The first outage seen during the refresh under way: the rest of it is skipped (each query would wait its timeout). */
/** Nodes flagged stale at the last refresh: one dead before an outage stays flagged after it. */
let staleNodes: ReadonlySet<string> = new Set();
let downThisRefresh: { down: Down; message: string } | undefined;

/** Records whether this refresh reached Prometheus, and shows it. */
function noteReachability(down: Down | undefined, reason: string): void {
  const now = Date.now() / 1000;
  const open = outages.at(-1);
  if (down !== undefined) {
    if (open === undefined || open.to !== undefined) outages.push({ from: lastSuccess ?? now, to: undefined });
    const since = outages.at(-1)?.from ?? now;
    const who = down === 'view' ? 'The view server' : 'Prometheus';
    statusLine.dataset['prometheus'] = 'down';
    statusLine.textContent = down === 'refused' ? 'Prometheus not readable' : `${who} not answering`;
    banner.className = 'down';
    banner.hidden = false;
    const shown =
      lastSuccess === undefined
        ? down === 'refused'
          ? 'Nothing to show until it answers as Prometheus'
          : 'Nothing to show until it answers'
        : `The table and charts show the last data, of ${clockTime(lastSuccess)}`;
    banner.textContent =
      (down === 'refused' ? `${reason}${/[.?!]$/.test(reason) ? '' : '.'} ` : `${who} is not answering since ${clockTime(since)} (${reason}). `) +
      `${shown}; retrying every ${settings.refreshSeconds} s.`;
    return;
  }
  lastSuccess = now;
  if (open !== undefined && open.to === undefined) outages[outages.length - 1] = { from: open.from, to: now };
  statusLine.dataset['prometheus'] = 'up';
  statusLine.textContent = `updated ${clockTime(now)} · every ${settings.refreshSeconds} s`;
  const windowStart = now - (answer?.window.seconds ?? 900);
  const recent = outages.filter((outage) => (outage.to ?? now) >= windowStart);
  if (recent.length === 0) {
    banner.hidden = true;
    banner.className = '';
    return;
  }
  banner.className = 'recovered';
  banner.hidden = false;
  banner.textContent =
    'Prometheus did not answer ' +
    recent.map((outage) => `from ${clockTime(outage.from)} to ${clockTime(outage.to ?? now)} (${Math.round((outage.to ?? now) - outage.from)} s)`).join(', ') +
    ': the shaded band in the charts is that gap.';
}

function firstFailure(results: ReadonlyArray<Fetched<unknown>>): { down: Down; message: string } | undefined {
  for (const result of results) if (!result.ok && result.down !== undefined) return { down: result.down, message: result.message };
  return undefined;
}

function buildPanels(panels: ViewPanelsAnswer): void {
  for (const view of panelViews) view.chart?.destroy();
  panelsRoot.replaceChildren();
  panelViews = [];
  // One grid per dashboard, each panel captioned with its Grafana row: compact, and no half-empty rows.
  let dashboard = '';
  let grid = element('div', { class: 'grid' });
  for (const section of panels.sections) {
    if (section.dashboard !== dashboard) {
      dashboard = section.dashboard;
      grid = element('div', { class: 'grid' });
      panelsRoot.append(element('h2', {}, dashboard), grid);
    }
    for (const panel of section.panels) {
      const card = element('div', { class: 'panel', 'data-panel-id': panel.id, 'data-state': 'loading', title: panel.description });
      const heading = element('h3', {}, panel.title);
      heading.prepend(element('small', {}, section.title));
      card.append(heading);
      const body = element('div', { class: 'body' });
      body.append(element('div', { class: 'note' }, 'loading…'));
      card.append(body);
      grid.append(card);
      const chartBox = panel.kind === 'timeseries' ? element('div', { class: 'chart' }) : undefined;
      if (chartBox !== undefined) card.append(chartBox);
      panelViews.push({ panel, element: card, body, chart: chartBox === undefined ? undefined : new PanelChart(chartBox, panel.unit, () => outages) });
    }
  }
}

function showNote(view: PanelView, state: 'empty' | 'error', text: string): void {
  // After an outage the last chart stays: only a panel that never had data shows the note.
  if (view.element.dataset['state'] === 'data' && state === 'error') return;
  view.element.dataset['state'] = state;
  view.body.replaceChildren(element('div', { class: 'note' }, text));
  view.body.hidden = false;
}

async function refreshPanel(view: PanelView, window: ViewPanelsAnswer['window']): Promise<ReadonlyArray<Fetched<unknown>>> {
  const { panel } = view;
  const end = Math.floor(Date.now() / 1000 / window.stepSeconds) * window.stepSeconds;
  const start = end - window.seconds;
  if (panel.kind === 'stat') {
    const results = await Promise.all(panel.targets.map((target) => instantQuery(target.expr)));
    const failed = results.find((result): result is Extract<Fetched<SeriesSample[]>, { ok: false }> => !result.ok);
    if (failed !== undefined) showNote(view, 'error', failed.message);
    else {
      const stats = results.flatMap((result, index) =>
        result.ok ? result.data.map((sample) => ({ label: legendText(panel.targets[index]?.legend ?? '', sample.metric), value: sampleNumber(sample.value[1]) })) : [],
      );
      if (stats.length === 0) showNote(view, 'empty', 'no data');
      else {
        const box = element('div', { class: 'stats' });
        for (const stat of stats) {
          const item = element('div', { class: 'stat' });
          item.append(element('b', {}, formatValue(stat.value, panel.unit)), element('span', {}, stat.label));
          box.append(item);
        }
        view.body.replaceChildren(box);
        view.element.dataset['state'] = 'data';
      }
    }
    return results;
  }
  const results = await Promise.all(panel.targets.map((target) => rangeQuery(target.expr, start, end, window.stepSeconds)));
  const failed = results.find((result): result is Extract<Fetched<SeriesRange[]>, { ok: false }> => !result.ok);
  if (failed !== undefined) {
    showNote(view, 'error', failed.message);
    return results;
  }
  const series = chartSeries(results.map((result, index) => ({ legend: panel.targets[index]?.legend ?? '', result: result.ok ? result.data : [] })));
  const hasPoints = series.some((s) => s.range.values.some(([, text]) => Number.isFinite(sampleNumber(text))));
  if (!hasPoints) {
    showNote(view, 'empty', 'no data in this window');
    view.chart?.destroy();
    return results;
  }
  view.body.replaceChildren();
  view.body.hidden = true;
  view.element.dataset['state'] = 'data';
  view.chart?.update(series, start, end, window.stepSeconds);
  return results;
}

async function refreshNodes(job: string, health: NodeHealthRule): Promise<ReadonlyArray<Fetched<unknown>>> {
  const queries = Object.entries(nodeQueries(job)) as Array<[NodeQueryName, string]>;
  const results = await Promise.all(queries.map(([, promql]) => instantQuery(promql)));
  if (firstFailure(results) !== undefined) return results; // keep the last table, marked by the banner
  const answers: Partial<Record<NodeQueryName, SeriesSample[]>> = {};
  queries.forEach(([name], index) => {
    const result = results[index];
    if (result?.ok) answers[name] = result.data;
  });
  const now = Date.now() / 1000;
  const last = outages.at(-1);
  // Prometheus answered these queries: an outage still open (noteReachability closes it once the panels are
  // done) ended by now, and the first answers after it are the ones whose ages are unsure.
  const outage = last === undefined ? undefined : { from: last.from, to: last.to ?? now };
  const { nodes, others } = groupRows(answers, health, { now, outage, staleBefore: staleNodes });
  staleNodes = new Set(nodes.filter((row) => row.stale).map((row) => row.key));
  renderNodes(nodes, others, job);
  return results;
}

async function refreshJobs(): Promise<Fetched<string[]>> {
  const jobs = await getJson<string[]>(`${VIEW_PATHS.jobValues}?${new URLSearchParams({ 'match[]': 'push_time_seconds' }).toString()}`);
  if (!jobs.ok) return jobs;
  const current = jobPicker.value;
  const names = [...new Set([...jobs.data, ...(current === '' ? [] : [current])])].sort();
  if (names.join('\u0000') !== [...jobPicker.options].map((option) => option.value).join('\u0000')) {
    jobPicker.replaceChildren(...names.map((name) => element('option', { value: name, title: name }, name)));
    jobPicker.value = current !== '' ? current : (names[0] ?? '');
    jobPicker.title = jobPicker.value; // the picker cuts a long name (view.css): its title shows it whole
  }
  return jobs;
}

async function refresh(): Promise<void> {
  if (refreshing) return;
  refreshing = true;
  downThisRefresh = undefined;
  try {
    const jobs = await refreshJobs();
    if (downThisRefresh !== undefined) return; // the banner is up; the next refresh tries again
    const job = jobPicker.value;
    if (job === '') {
      noteReachability(jobs.ok ? undefined : jobs.down, jobs.ok ? '' : jobs.message);
      byId('nodes-summary').textContent = jobs.ok ? 'No job has pushed to a gateway this Prometheus scrapes (yet).' : '';
      return;
    }
    const panels = await getJson<ViewPanelsAnswer>(`${VIEW_PATHS.panels}?${new URLSearchParams({ job, window: windowPicker.value }).toString()}`);
    if (panels.ok) {
      answer = panels.data;
      const key = JSON.stringify([answer.job, answer.window, answer.sections]);
      if (key !== panelsKey) {
        panelsKey = key;
        buildPanels(answer);
      }
    }
    const current = answer;
    const results: Array<Fetched<unknown>> = [jobs, panels];
    if (current !== undefined) {
      results.push(...(await refreshNodes(job, current.health)));
      const perPanel = await inBatches(panelViews.map((view) => () => (downThisRefresh === undefined ? refreshPanel(view, current.window) : Promise.resolve([]))));
      results.push(...perPanel.flat());
    }
    const scrape = await getJson<GatewayScrapeAnswer>(`${VIEW_PATHS.gatewayScrape}?${new URLSearchParams({ job }).toString()}`);
    if (scrape.ok) renderScrapeBanner(scrapeBanner, scrape.data); // else the last verdict stays
    const failure = firstFailure(results);
    noteReachability(failure?.down, failure?.message ?? '');
  } finally {
    refreshing = false;
  }
}

function scheduleRefresh(): void {
  setTimeout(() => {
    refresh()
      .catch((error: unknown) => console.warn('refresh failed', error))
      .finally(scheduleRefresh);
  }, settings.refreshSeconds * 1000);
}

function initPickers(): void {
  const params = new URLSearchParams(location.search);
  const job = params.get('job') ?? settings.job;
  if (job !== null && job !== '') jobPicker.replaceChildren(element('option', { value: job, title: job }, job));
  jobPicker.title = jobPicker.value;
  windowPicker.replaceChildren(...settings.windows.map((name) => element('option', { value: name }, name)));
  const asked = params.get('window');
  windowPicker.value = asked !== null && settings.windows.includes(asked) ? asked : settings.defaultWindow;
  const onChange = (): void => {
    jobPicker.title = jobPicker.value;
    const next = new URLSearchParams({ job: jobPicker.value, window: windowPicker.value });
    history.replaceState(null, '', `?${next.toString()}`);
    panelsKey = '';
    staleNodes = new Set();
    void refresh();
  };
  jobPicker.addEventListener('change', onChange);
  windowPicker.addEventListener('change', onChange);
  let resizeTimer: number | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => panelViews.forEach((view) => view.chart?.resize()), 150);
  });
}

const loaded = await getJson<ViewSettings>(VIEW_PATHS.settings);
const settings: ViewSettings = loaded.ok ? loaded.data : { job: null, refreshSeconds: 5, windows: ['15m'], defaultWindow: '15m' };
whenDown((down, message) => {
  if (downThisRefresh !== undefined) return;
  downThisRefresh = { down, message };
  noteReachability(down, message);
});
initPickers();
await refresh();
scheduleRefresh();
