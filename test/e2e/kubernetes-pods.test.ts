/**
 * The gateway and node pods of `init --target kubernetes`, run for real with `podman kube play` (images
 * built FROM scratch out of this machine's binaries by docker/e2e/build-images.sh, as for the compose e2e).
 *
 * Podman plays Pods and Deployments but has no controllers and no Services, so the test does their part the
 * way Kubernetes does it, and nothing else:
 *   - each StatefulSet becomes its pods `<name>-<ordinal>`, labelled `apps.kubernetes.io/pod-index` as the
 *     StatefulSet controller labels them; REPLICA_INDEX then comes from that label through the downward API,
 *     as in the manifest;
 *   - the gateway Deployment becomes one pod per replica, each given the headless Service's name as a network
 *     alias: the name then resolves to every gateway pod, which is what the headless Service's DNS record does;
 *   - Podman 4.3 publishes every containerPort on the host (Kubernetes does not), so each gateway pod's port
 *     is published on its own 127.0.0.1 port instead of 0.0.0.0:9091.
 * Everything else (images, arguments, environment, the ConfigMap volume, security contexts) is the rendered
 * manifest. Asserted: every node pushes by the Service's name, the two gateways hold every node's group, each
 * on the replica its rendezvous ranking picks (the sharding of src/gateway/replicas.ts), and a pod stopped
 * with SIGTERM removes its group. Not emulated, so only validated (test/unit/kubernetes-manifests.test.ts):
 * Services' virtual IPs, kubernetes_sd_configs (no API server), probes, the monitors.
 *
 * 141 s measured on the 2-core machine at load average 14, mostly the image build (~25 s when idle). Run
 * alone, as npm run test:e2e does: Podman stalls under CPU load (test/e2e/podman-engine.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { dump, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayAddress } from '../../src/gateway/address.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { kubernetesNames } from '../../src/deploy/kubernetes/manifests.js';
import { renderKubernetesDeployment } from '../../src/deploy/kubernetes/render.js';
import { fetchGatewayGroups } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { groupingPath } from '../../src/push/grouping-key.js';
import { pickReplica } from '../../src/gateway/rendezvous.js';
import { findTool, privatePodmanEnv, runOrThrow } from './podman-engine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const podman = findTool('podman');
// Podman builds its pods' pause image around catatonit.
const catatonit = findTool('catatonit');
if ((podman === undefined || catatonit === undefined) && process.env['CI'] === 'true') {
  throw new Error('CI=true and podman/catatonit missing: apt-get install --no-install-recommends podman runc catatonit golang-github-containernetworking-plugin-dnsname');
}

const JOB = 'persia_k8s';
const GATEWAYS = 2;
const EXPECTED_NODES = ['middleware/rep_0', 'server/rep_0', 'server/rep_1', 'trainer/rep_0', 'trainer/rep_1'];

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    replicas: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Array<{ name: string; ports?: Array<Record<string, unknown>> }> } & Record<string, unknown>;
    };
  };
}

/** A pod as a controller creates it from a workload's template. */
function podFrom(workload: Manifest, name: string, extraLabels: Record<string, string>, hostPort?: number): object {
  const spec = structuredClone(workload.spec.template.spec);
  if (hostPort !== undefined) {
    for (const container of spec.containers) {
      if (container.ports !== undefined) container.ports = container.ports.map((port) => ({ ...port, hostIP: '127.0.0.1', hostPort }));
    }
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { ...workload.spec.template.metadata.labels, ...extraLabels } }, spec };
}

function readManifests(text: string): Manifest[] {
  return loadAll(text) as Manifest[];
}

describe.skipIf(podman === undefined || catatonit === undefined)('Kubernetes manifests on Podman (kube play)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-k8s-e2e-'));
  const network = `persiak8s${process.pid}`;
  const names = kubernetesNames(JOB);
  const gatewayPods: Array<{ name: string; port: number; ip: string }> = [];
  const files = { gateways: join(dir, 'play', 'gateways.yaml'), nodes: join(dir, 'play', 'nodes.yaml') };
  let env: NodeJS.ProcessEnv = {};
  let networkCreated = false;
  const run = (...args: string[]) => runOrThrow(podman ?? '', args, { env, timeoutMs: 180_000 });

  async function groupsByGateway(): Promise<Map<string, string[]>> {
    const held = new Map<string, string[]>();
    for (const pod of gatewayPods) {
      const groups = await fetchGatewayGroups(gatewayEndpoint(`http://127.0.0.1:${pod.port}`, { timeoutSeconds: 5 }));
      held.set(
        pod.ip,
        groups.filter((g) => g.labels?.['job'] === JOB).map((g) => `${g.labels?.['role'] ?? ''}/${g.labels?.['instance'] ?? ''}`),
      );
    }
    return held;
  }

  async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | string = 'nothing read';
    while (Date.now() < deadline) {
      try {
        last = await read();
        if (ok(last)) return last;
      } catch (error) {
        last = String(error);
      }
      await sleep(1000);
    }
    throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last instanceof Map ? [...last] : last).slice(0, 800)}`);
  }

  beforeAll(async () => {
    env = privatePodmanEnv(podman ?? '', dir);
    runOrThrow(join(ROOT, 'docker/e2e/build-images.sh'), [], { env, timeoutMs: 180_000 });

    // A 2 s push interval: the test sees pushes (and a stop's delete) within seconds.
    const rendered = renderKubernetesDeployment(resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 2 }), { gateways: GATEWAYS });
    const gateway = readManifests(rendered.get('kubernetes/gateway.yaml') ?? '').find((m) => m.kind === 'Deployment');
    const nodeSets = readManifests(rendered.get('kubernetes/nodes-example.yaml') ?? '').filter((m) => m.kind === 'StatefulSet');
    const configMap = loadAll(rendered.get('kubernetes/global-config.yaml') ?? '');
    if (gateway === undefined || nodeSets.length !== 3) throw new Error('the rendering lacks the gateway Deployment or a node StatefulSet');
    expect(gateway.spec.replicas).toBe(GATEWAYS);

    const gateways: object[] = [];
    for (let replica = 0; replica < gateway.spec.replicas; replica += 1) {
      const pod = { name: `${gateway.metadata.name}-${replica}`, port: await freePort(), ip: '' };
      gatewayPods.push(pod);
      gateways.push(podFrom(gateway, pod.name, {}, pod.port));
    }
    const nodes = nodeSets.flatMap((set) =>
      Array.from({ length: set.spec.replicas }, (_, ordinal) =>
        podFrom(set, `${set.metadata.name}-${ordinal}`, {
          'apps.kubernetes.io/pod-index': String(ordinal),
          'statefulset.kubernetes.io/pod-name': `${set.metadata.name}-${ordinal}`,
        }),
      ),
    );
    mkdirSync(dirname(files.gateways), { recursive: true });
    writeFileSync(files.gateways, gateways.map((pod) => `---\n${dump(pod)}`).join(''));
    writeFileSync(files.nodes, [...configMap, ...nodes].map((object) => `---\n${dump(object)}`).join(''));

    run('network', 'create', network);
    networkCreated = true;
    // The headless Service's name, as an alias of every gateway pod: DNS answers with all their addresses.
    run('kube', 'play', '--network', `${network}:alias=${names.gatewayService}`, files.gateways);
    for (const pod of gatewayPods) {
      await until(
        `gateway ${pod.name}`,
        () => fetch(`http://127.0.0.1:${pod.port}/-/ready`).then((r) => r.status),
        (status) => status === 200,
        60_000,
      );
      pod.ip = run('inspect', `${pod.name}-pushgateway`, '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`).trim();
    }
    run('kube', 'play', '--network', network, files.nodes);
  }, 300_000);

  afterAll(() => {
    try {
      for (const file of [files.nodes, files.gateways]) {
        try {
          run('kube', 'down', file);
        } catch {
          // not played (an earlier step failed)
        }
      }
      if (networkCreated) run('network', 'rm', '-f', network);
    } finally {
      // The run's own image store goes with it: nothing stays behind on a reused machine.
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  // The instances are rep_<ordinal>: REPLICA_INDEX came from the pod-index label; the job name from the ConfigMap.
  it('every node pod pushes to the Service name; the gateways hold each group once, on the replica its ranking picks', async () => {
    const held = await until('every node on a gateway', groupsByGateway, (byGateway) => [...byGateway.values()].flat().sort().join() === EXPECTED_NODES.join(), 90_000);
    const replicas: GatewayAddress[] = gatewayPods.map((pod) => ({ scheme: 'http', host: pod.ip, port: 9091, baseUrl: `http://${pod.ip}:9091` }));
    expect(new Set(replicas.map((r) => r.host)).size).toBe(GATEWAYS);
    for (const [ip, groups] of held) {
      for (const group of groups) {
        const [role = '', instance = ''] = group.split('/');
        expect(pickReplica(replicas, groupingPath({ job: JOB, role, instance })).host, `${group} is on ${ip}`).toBe(ip);
      }
    }
  });

  it('a node pod stopped with SIGTERM removes its own group (delete_on_shutdown) and no other', async () => {
    run('pod', 'stop', '--time', '20', `${names.nodeStatefulSet('server')}-1`);
    await until(
      'the stopped node gone',
      groupsByGateway,
      (byGateway) => [...byGateway.values()].flat().sort().join() === EXPECTED_NODES.filter((node) => node !== 'server/rep_1').join(),
      30_000,
    );
  });
});
