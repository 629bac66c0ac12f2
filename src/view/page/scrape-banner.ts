/**
 * The banner for the job's gateways Prometheus cannot scrape (the server's answer, src/view/gateway-scrape.ts):
 * which gateway, what its /metrics answers, the groups that break it and the command that deletes them. Every
 * text holding a pushed value comes escaped from the server and is set as text, never as markup.
 */
import type { GatewayScrapeAnswer, UnscrapableGateway } from '../../monitoring/view-contract.js';

function text<K extends keyof HTMLElementTagNameMap>(tag: K, content: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className !== undefined) node.className = className;
  return node;
}

function probeText(gateway: UnscrapableGateway): string {
  const probe = gateway.probe;
  if (probe === null) return '';
  // The probe reads a 200 page as Prometheus would (src/gateway/exposition-check.ts): a detail says what does not parse.
  if (probe.statusCode === 200 && probe.detail === '') return " Its /metrics answers the view's probe: what fails is between Prometheus and it (network, scrape timeout).";
  if (probe.statusCode === 0) return ` The view could not read its /metrics either (${probe.detail}).`;
  return ` Its /metrics answers ${probe.statusCode} (${probe.detail}), though pushes to it are still accepted.`;
}

function gatewayBlock(gateway: UnscrapableGateway): HTMLElement {
  const block = document.createElement('div');
  block.className = 'gateway';
  block.dataset['gateway'] = gateway.gateway;
  const seenBy = gateway.scrapeJobs.length === 0 ? '' : ` (Prometheus's scrape job ${gateway.scrapeJobs.join(', ')} sees it down)`;
  const head = document.createElement('p');
  head.append(
    text('b', `Prometheus cannot scrape gateway ${gateway.gateway}`),
    `${seenBy}: no metrics of any job on it arrive, so this job's table and charts miss its nodes.${probeText(gateway)}`,
  );
  block.append(head);
  if (gateway.breakingGroups.length > 0) {
    const list = document.createElement('ul');
    for (const group of gateway.breakingGroups) {
      const item = document.createElement('li');
      item.className = 'breaking-group';
      item.append('broken by group ', text('code', group.group), `: ${group.problems.join('; ')}`);
      list.append(item);
    }
    block.append(list);
  }
  const fix = document.createElement('p');
  fix.className = 'fix';
  if (gateway.breakingGroups.length > 0) {
    fix.append(
      'Fix: ',
      text('code', gateway.repair),
      ` deletes ${gateway.breakingGroups.length === 1 ? 'it' : 'them'}; a node that keeps pushing a clashing type re-creates its group (fix its define()).`,
    );
  } else if (gateway.probe === null || gateway.probe.statusCode !== 200 || gateway.probe.detail !== '') {
    fix.append('If it is up, ', text('code', `${gateway.repair} --dry-run`), ' names the groups that break its /metrics, and without --dry-run deletes them.');
  }
  if (fix.childNodes.length > 0) block.append(fix);
  return block;
}

/** Shows the answer in `banner` (hidden when every gateway is scraped). */
export function renderScrapeBanner(banner: HTMLElement, answer: GatewayScrapeAnswer): void {
  banner.dataset['gateways'] = String(answer.unscrapable.length);
  banner.replaceChildren(...answer.unscrapable.map(gatewayBlock));
  banner.hidden = answer.unscrapable.length === 0;
}
