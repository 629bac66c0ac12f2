/**
 * A --progress family that is not a counter of the pages (a README-only session, breaker17b finding 2): a
 * typo (`train_step_total` for `train_steps_total`) and a gauge left the progress age at 0 for ever, so
 * hang detection was off without a word, and a histogram on the page was said to be "in none of the pages".
 * Real Python trainers (Debian's python3-prometheus-client) that keep stepping, behind the built agent and
 * the real gateway: the typo is said once, naming the page's counter it is closest to, and the node's age
 * counts from the agent's start, so `status` calls it HUNG although its trainer steps (the user sees the
 * mistake); a gauge is refused by name (HUNG as well); a histogram's observations (its _count) are its
 * progress, so that node is never hung. A histogram on the page that the agent leaves out for a clash with
 * the catalog's family of that name (other labels) was also said to be "in none of the pages": it is said
 * to be on a page and left out, with the clash's reason (HUNG as well: it is not read).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { killChildren, startAgent, startPythonExporter, startTrainer, type Child } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { findPython } from '../helpers/python-trainer.js';

const JOB = 'agent_progress_family';
const STEPPING = join(import.meta.dirname, '../fixtures/agent/stepping_trainer.py');

afterAll(killChildren);

describe.skipIf(requireBinary('prometheus-pushgateway') === undefined || findPython() === undefined || !existsSync(CLI_MAIN))(
  '--progress naming a typo, a histogram, a gauge or a family left out for a clash',
  () => {
    const gateway = usePushgateway();
    const agents: Child[] = [];

    beforeAll(async () => {
      const stepping = await startPythonExporter(STEPPING); // train_steps_total and the histogram train_step_seconds, every 0.1 s
      const other = await startTrainer(); // trainer_loss, a gauge
      const byPeer = await startPythonExporter(STEPPING, ['--rpc-by-peer']); // and lookup_rpc_time_cost labelled by peer, which the catalog's is not
      const agent = (instance: string, url: string, family: string): Child =>
        startAgent(gateway.address, JOB, [url], ['--progress', family], { PERSIA_METRICS_INSTANCE: instance });
      agents.push(agent('rep_0', stepping.url, 'train_step_total'), agent('rep_1', stepping.url, 'train_step_seconds'), agent('rep_2', other.url, 'trainer_loss'));
      agents.push(agent('rep_3', byPeer.url, 'lookup_rpc_time_cost'));
    }, 30_000);

    it('the typo, the gauge and the left-out family are said once and turn HUNG from the start; the histogram progresses', async () => {
      const details = (): string => agents.map((agent) => agent.output()).join('\n');
      type Row = { instance: string; hung: boolean; progressAgeSeconds?: number };
      const rows = await waitFor(
        async () => {
          const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address, '--json']);
          const nodes = result.code === 0 ? (JSON.parse(result.stdout) as { nodes: Row[] }).nodes : [];
          return nodes.filter((node) => node.hung).length === 3 ? nodes : undefined;
        },
        { timeoutMs: 40_000, what: 'three nodes called hung', details },
      );
      expect(rows.map((node) => [node.instance, node.hung]).sort(), details()).toEqual([
        ['rep_0', true],
        ['rep_1', false],
        ['rep_2', true],
        ['rep_3', true],
      ]);
      expect(rows.find((node) => node.instance === 'rep_1')?.progressAgeSeconds).toBeLessThan(2);
      for (const agent of agents) agent.process.kill('SIGTERM');
      for (const agent of agents) expect(await agent.exited, agent.output()).toBe(0);
      const [typo, histogram, gauge, clash] = agents.map((agent) => agent.output());
      expect(
        typo?.match(/the progress family train_step_total is in none of the pages, although every endpoint answered \(did you mean train_steps_total\?\)/g),
        typo,
      ).toHaveLength(1);
      expect(typo).toContain("persia_node_progress_age_seconds counts from the node's start, so the node is called hung");
      expect(histogram).not.toMatch(/warning/);
      expect(gauge?.match(/the progress family trainer_loss is a gauge in the pages, not a counter/g), gauge).toHaveLength(1);
      expect(gauge).not.toContain('in none of the pages');
      const leftOut =
        /the progress family lookup_rpc_time_cost is on a page but left out of the pushes, so it is not read as progress: extraSources\[0\] \(http:\S+\) writes lookup_rpc_time_cost_bucket with the labels le, peer at line \d+, but the catalog's lookup_rpc_time_cost has le/g;
      expect(clash?.match(leftOut), clash).toHaveLength(1);
      expect(clash).toContain("persia_node_progress_age_seconds counts from the node's start, so the node is called hung");
      expect(clash).not.toContain('in none of the pages');
    }, 60_000);
  },
);
