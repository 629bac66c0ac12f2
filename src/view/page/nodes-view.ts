/** The node table and its one-line summary, and the job's other groups apart, drawn from `groupRows` (node-rows.ts). */
import { counted, formatAge, formatValue } from './format.js';
import type { NodeRow, OtherGroupRow } from './node-rows.js';
import { nodePaused } from '../../monitoring/view-contract.js';

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className !== undefined) td.className = className;
  return td;
}

function badge(text: string, tone: 'bad' | 'warn' | 'ok', title?: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `badge ${tone}`;
  span.textContent = text;
  if (title !== undefined && title !== '') span.title = title;
  return span;
}

function withBadge(text: string, extra: HTMLSpanElement | undefined, className?: string): HTMLTableCellElement {
  const td = cell(text, className);
  if (extra !== undefined) td.append(extra);
  return td;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The node's GPU utilisation beside its straggler column: the mean over its GPUs, each GPU in the title. */
function gpuCell(node: NodeRow): HTMLTableCellElement {
  if (node.gpus.length === 0) return cell('–', 'num');
  const utilisations = node.gpus.map((gpu) => gpu.utilisation);
  const text = formatValue(mean(utilisations), 'percent') + (node.gpus.length > 1 ? ` (${node.gpus.length} GPUs, min ${formatValue(Math.min(...utilisations), 'percent')})` : '');
  const td = cell(text, 'num');
  td.title = node.gpus.map((gpu) => `GPU ${gpu.gpu}: ${formatValue(gpu.utilisation, 'percent')}`).join(', ');
  return td;
}

function row(node: NodeRow): HTMLTableRowElement {
  const tr = document.createElement('tr');
  // role/instance, then any further grouping labels as the gateway's path writes them (…/shadow/x).
  tr.dataset['node'] = [`${node.role}/${node.instance}`, ...node.extraLabels.map((label) => label.replace('=', '/'))].join('/');
  tr.dataset['condition'] = node.condition;
  tr.dataset['stale'] = String(node.stale);
  tr.dataset['ageUnsure'] = String(node.ageUnsure);
  tr.dataset['straggler'] = String(node.straggler === 'firing');
  tr.dataset['duplicate'] = String(node.duplicateIdentity);
  if (node.gpus.length > 0) tr.dataset['gpuUtil'] = String(mean(node.gpus.map((gpu) => gpu.utilisation)));
  tr.dataset['hung'] = String(node.hung);
  const missed = node.missedPushes !== undefined && node.missedPushes > 0 ? `, ${node.missedPushes} missed` : '';
  tr.append(
    cell(node.role),
    cell([node.instance, ...node.extraLabels].join(' ')),
    withBadge(
      node.condition === 'live' ? (node.state ?? '–') : node.condition,
      node.condition === 'stale'
        ? badge('STALE', 'bad', node.state === undefined ? undefined : `last state it pushed: ${node.state}`)
        : node.condition === 'stopped'
          ? badge('STOPPED', 'ok', 'it shut down cleanly (its last push said "stopping"): no alert, its group stays until expire or end-job')
          : node.hung
            ? badge('HUNG', 'bad', `it keeps pushing, but reported no progress for ${formatAge(node.progressAgeSeconds ?? 0)} (no step, no time cost)`)
            : nodePaused(node)
              ? badge('PAUSED', 'ok', 'it stopped stepping on purpose (metrics.paused(): a checkpoint, an evaluation): not hung, not scored as slow')
              : undefined,
    ),
    withBadge(
      `${formatAge(node.ageSeconds)} ago${node.ageUnsure ? '' : missed}`,
      node.ageUnsure ? badge('UNSURE', 'warn', 'Prometheus was not answering until moments ago: this age includes the gap until its next scrape') : undefined,
      'num',
    ),
    cell(node.intervalSeconds === undefined ? '–' : formatValue(node.intervalSeconds, 's'), 'num'),
    withBadge(node.pushFailures === undefined ? '–' : String(Math.round(node.pushFailures)), node.lastPushRejected ? badge('LAST PUSH REJECTED', 'bad') : undefined, 'num'),
    withBadge(
      node.straggler === undefined ? '–' : '',
      node.straggler === undefined
        ? undefined
        : badge(
            node.straggler === 'firing' ? 'STRAGGLER' : 'slow (pending)',
            node.straggler === 'firing' ? 'bad' : 'warn',
            [node.stragglerAlerts.join(', '), node.stragglerDetail].filter((part) => part !== '').join(' · '),
          ),
    ),
    gpuCell(node),
    withBadge(node.duplicateIdentity ? '' : 'ok', node.duplicateIdentity ? badge('DUPLICATE', 'bad', 'more than one process or thread pushes as this node') : undefined),
  );
  return tr;
}

/** A group that is not a node (a batch job's last result): its grouping key and last push, no state, never stale. */
function otherRow(group: OtherGroupRow): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset['group'] = group.labels.join(' ');
  tr.append(cell(group.labels.join(' ')), cell(`${formatAge(group.ageSeconds)} ago`, 'num'));
  return tr;
}

function renderOtherGroups(others: readonly OtherGroupRow[], job: string): void {
  const section = document.getElementById('other-groups');
  const body = section?.querySelector('tbody');
  const summary = document.getElementById('other-groups-summary');
  if (section === null || body === null || body === undefined || summary === null) return;
  section.hidden = others.length === 0;
  body.replaceChildren(...others.map(otherRow));
  summary.textContent = `${counted(others.length, 'group')} of job "${job}" that ${others.length === 1 ? 'is' : 'are'} not a node (keyed without an instance, no push interval): never stale, no alert.`;
}

export function renderNodes(nodes: readonly NodeRow[], others: readonly OtherGroupRow[], job: string): void {
  const body = document.querySelector('#nodes tbody');
  const summary = document.getElementById('nodes-summary');
  if (body === null || summary === null) return;
  renderOtherGroups(others, job);
  body.replaceChildren(...nodes.map(row));
  const perRole = new Map<string, number>();
  for (const node of nodes) perRole.set(node.role, (perRole.get(node.role) ?? 0) + 1);
  const count = (predicate: (node: NodeRow) => boolean): number => nodes.filter(predicate).length;
  summary.textContent =
    nodes.length === 0
      ? `No node of job "${job}" in Prometheus.`
      : `${counted(nodes.length, 'node')} of job "${job}" (${[...perRole].map(([role, n]) => `${n} ${role}`).join(', ')}) · ` +
        `${count((n) => n.stale)} stale · ` +
        (nodes.some((n) => n.hung) ? `${count((n) => n.hung)} hung · ` : '') +
        (nodes.some(nodePaused) ? `${count(nodePaused)} paused · ` : '') +
        (nodes.some((n) => n.condition === 'stopped') ? `${count((n) => n.condition === 'stopped')} stopped · ` : '') +
        `${counted(
          count((n) => n.straggler === 'firing'),
          'straggler',
        )} · ` +
        `${counted(
          count((n) => n.duplicateIdentity),
          'duplicate identity',
          'duplicate identities',
        )}` +
        (nodes.some((n) => n.ageUnsure) ? ' · ages unsure right after the Prometheus outage' : '');
}
