/**
 * Compose files for one job's stack: a single-host file, its swarm twin and an overlay that adds a second
 * job (own gateway, own nodes) beside the first, discovered by the same Prometheus.
 *
 * Each file is data plus the comments that say *why* (the gateway flags, the socket, the ports), the part
 * users read, written by the YAML emitter (src/deploy/yaml.ts).
 */
import { DEFAULT_GATEWAY_PORT } from '../../gateway/address.js';
import { NODE_ROLES, type NodeRole } from '../../metrics/catalog.js';
import { expireMissedPushes, recommendedExpireAfterSeconds } from '../../monitoring/expiry.js';
import { serviceSuffix } from '../../monitoring/job-name.js';
import { type DeployOptions } from '../deploy-options.js';
import { GRAFANA_IMAGE, NODE_IMAGE, PROMETHEUS_IMAGE, PUSHGATEWAY_IMAGE } from '../images.js';
import { alias, anchored, commented, flow, spaced, yamlFile } from '../yaml.js';

export interface ComposeLayout {
  /** Path of the config/ folder (prometheus/, grafana/) relative to the compose files. */
  readonly configDir: string;
  /** Build the node image from this checkout: context relative to the compose files. */
  readonly nodeBuildContext?: string;
  /** Run the gateways with their own consistency check (src/monitoring/consistency-check.ts). @default false */
  readonly gatewayConsistencyCheck?: boolean;
}

type Service = Record<string, unknown>;

/** The compose file format every file declares (docker-compose 1.x needs it). */
export const COMPOSE_VERSION = '3.8';
const NODE_ANCHOR = 'persia-node';

/**
 * The gateway's flags. Its own consistency check refuses a push whose family clashes with another group's,
 * which then costs that family only; but it re-gathers every series stored on the gateway at every push, so
 * it is on only where the job's size allows (src/monitoring/consistency-check.ts decides; init passes it).
 */
export function gatewayCommand(consistencyCheck: boolean): unknown {
  const persistence = commented('No persistence file: groups live as long as the gateway; nodes push again within one interval.', '--persistence.file=');
  if (consistencyCheck)
    return commented(
      `The gateway's own consistency check is on (init --nodes/--series-per-node found the job small enough,
docs/capacity.md): a push whose family clashes with another group's type is refused (400) and costs that
family only; the node reports it. It gathers every series stored on the gateway at every push.`,
      [persistence],
    );
  return commented(
    `The gateway's own consistency check is off: it gathers every series stored on the gateway at every push
(about 0.5-1 us each), so its cost grows with the job; init turns it on where --nodes/--series-per-node show
the job is small enough (docs/capacity.md). Off, a push whose family clashes with another group's type is
stored, and the gateway's whole /metrics fails until \`persia-metrics repair\` deletes that group (the view,
status and PersiaGatewayDown say so, docs/expiry.md); and the gateway answers 202 before applying a push, so
a rejected push shows only as push_failure_time_seconds (PersiaNodePushesRejected).`,
    ['--push.disable-consistency-check', persistence],
  );
}

export function gatewayLabels(jobName: string): Record<string, string> {
  return { 'persia.metrics.gateway': 'true', 'persia.metrics.job': jobName };
}

function simulateArgs(role: NodeRole): unknown {
  const count = (r: NodeRole) => (r === role ? '1' : '0');
  return flow(['simulate', '--config', '/app/global_config.yaml', '--trainers', count('trainer'), '--middleware', count('middleware'), '--servers', count('server'), '--unique-host']);
}

function nodeService(role: NodeRole, jobName: string, gateway: string, extra: Service): Service {
  return {
    '<<': alias(NODE_ANCHOR),
    command: simulateArgs(role),
    environment: {
      PERSIA_METRICS_GATEWAY_ADDR: `${gateway}:${DEFAULT_GATEWAY_PORT}`,
      PERSIA_METRICS_JOB_NAME: jobName,
      PERSIA_NODE_ROLE: role,
    },
    depends_on: flow([gateway]),
    ...extra,
  };
}

/** The node services, each after an empty line. */
export function nodeServices(name: (role: NodeRole) => string, jobName: string, gateway: string, extra: (role: NodeRole) => Service): Record<string, unknown> {
  return Object.fromEntries(NODE_ROLES.map((role) => [name(role), spaced(nodeService(role, jobName, gateway, extra(role)))]));
}

export function nodeAnchor(layout: ComposeLayout, swarm: boolean): unknown {
  const build = layout.nodeBuildContext === undefined || swarm ? {} : { build: { context: layout.nodeBuildContext, dockerfile: 'docker/node/Dockerfile' } };
  const config = swarm ? { configs: [{ source: 'global_config', target: '/app/global_config.yaml' }] } : { volumes: ['./global_config.yaml:/app/global_config.yaml:ro'] };
  return commented(
    `Shared by the trainer, middleware and server services: each runs one simulated node of its role that
pushes to PERSIA_METRICS_GATEWAY_ADDR. --unique-host puts the container's hostname into the instance
label, so scaled replicas (docker-compose up --scale trainer=4) never overwrite each other's group.`,
    anchored(NODE_ANCHOR, { image: NODE_IMAGE, ...build, ...config }),
    true,
  );
}

/**
 * `persia-metrics expire --every` beside the job, behind the `janitor` profile (docker-compose 1.28+), so it
 * runs only when asked for: deleting dead nodes' groups is right for a job whose nodes come and go, wrong
 * where a crashed node must stay visible until someone looks.
 */
function janitorService(options: DeployOptions): unknown {
  return commented(
    `Optional, off unless asked for:  docker-compose --profile janitor up -d
Deletes the gateway groups of nodes that stopped pushing (persia-metrics expire; docs/expiry.md): for a
job whose nodes come and go, whose dead groups would pile up. Leave it off to keep a crashed node's last
values on the gateway until someone looks. --after lets the stale-node alert fire and notify first; no
group goes before it missed ${expireMissedPushes(options)} of its own pushes.`,
    {
      '<<': alias(NODE_ANCHOR),
      profiles: flow(['janitor']),
      command: flow(['expire', '--gateway', `metrics_gateway:${DEFAULT_GATEWAY_PORT}`, '--job', options.jobName, '--after', `${recommendedExpireAfterSeconds(options) / 60}m`, '--every', '1m']),
      depends_on: flow(['metrics_gateway']),
      networks: flow([NODES_NETWORK]),
      restart: 'unless-stopped',
    },
    true,
  );
}

const RESTART = { restart: 'unless-stopped' };

/** The networks of the single-host stack: the nodes reach their gateway, never Prometheus or Grafana. */
const NODES_NETWORK = 'nodes';
const MONITORING_NETWORK = 'monitoring';
/** Where the discovery service sees the deployment's config/prometheus (read-only) and writes the target files. */
const DISCOVERY_CONFIG_DIR = '/config/prometheus';
/** How often the discovery service looks for gateways: a new job's gateway is scraped within this plus Prometheus' file_sd refresh. */
const DISCOVERY_EVERY = '15s';
/** The user the upstream Prometheus image runs as (nobody), numeric: images without /etc/passwd know no names. */
const PROMETHEUS_USER = '65534:65534';

/** A gateway: on its job's nodes network (they push) and on the monitoring network (Prometheus scrapes). */
function gatewayService(layout: ComposeLayout, jobName: string, nodesNetwork: string, port: string, labelsComment?: string): Service {
  const labels = gatewayLabels(jobName);
  return {
    image: PUSHGATEWAY_IMAGE,
    command: gatewayCommand(layout.gatewayConsistencyCheck === true),
    labels: labelsComment === undefined ? labels : commented(labelsComment, labels),
    networks: flow([nodesNetwork, MONITORING_NETWORK]),
    ports: [port],
    ...RESTART,
  };
}

/**
 * `persia-metrics discover --every` in a container of its own: the one service with the engine socket, so
 * that Prometheus needs none. It writes the gateways Prometheus' DNS job does not find (the other jobs') to
 * config/prometheus/targets/, which Prometheus reads through file_sd_configs.
 */
function discoveryService(cfg: string): unknown {
  return commented(
    `persia-metrics discover every ${DISCOVERY_EVERY}: finds the gateways of every job on this engine (containers
labelled persia.metrics.gateway=true) and writes those Prometheus' DNS job does not find to
${cfg}/prometheus/targets/ (docs/deployment.md). The only service with the engine socket.
Podman: PERSIA_DOCKER_SOCKET=/run/podman/podman.sock
Trade-off: :ro keeps the socket file from being replaced, not the engine's API from being used: whoever
controls this container controls the engine. So it runs nothing else, publishes no port and joins no
network (network_mode: none): no other container can reach it, and it reaches nothing but the socket.`,
    {
      '<<': alias(NODE_ANCHOR),
      command: flow(['discover', '--out', `${DISCOVERY_CONFIG_DIR}/targets`, '--every', DISCOVERY_EVERY]),
      user: commented(
        'Root, for the socket (root and a group whose id differs from host to host may use it), with every\ncapability dropped but the one that lets it write into a targets folder owned by another user.',
        '0:0',
      ),
      cap_drop: flow(['ALL']),
      cap_add: flow(['DAC_OVERRIDE']),
      security_opt: flow(['no-new-privileges:true']),
      read_only: true,
      network_mode: 'none',
      volumes: [
        '${PERSIA_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock:ro',
        commented('prometheus.yml, read to learn what Prometheus finds by itself; only the targets folder is writable.', `${cfg}/prometheus:${DISCOVERY_CONFIG_DIR}:ro`),
        `${cfg}/prometheus/targets:${DISCOVERY_CONFIG_DIR}/targets`,
      ],
      depends_on: flow(['prometheus']),
      ...RESTART,
    },
    true,
  );
}

export function renderCompose(options: DeployOptions, layout: ComposeLayout): string {
  const cfg = layout.configDir;
  const header = `persia-metrics single-host stack for job "${options.jobName}" (rendered by \`persia-metrics init\`).
  docker-compose up -d     Grafana http://127.0.0.1:3000, Prometheus :9090, gateway :${DEFAULT_GATEWAY_PORT}
Ports are published on 127.0.0.1 only; PERSIA_*_PORT variables move them (two stacks on one host).
Least privilege: Prometheus runs as nobody with no engine socket; only the discovery service has the socket
and it joins no network. The nodes share a network with their gateway only: they cannot reach Prometheus or
Grafana (docs/security.md).`;
  return yamlFile(header, {
    version: COMPOSE_VERSION,
    'x-persia-node': nodeAnchor(layout, false),
    services: spaced({
      metrics_gateway: commented(
        "The job's own gateway (never shared across jobs). Its name is PersiaML's default push address.",
        gatewayService(
          layout,
          options.jobName,
          NODES_NETWORK,
          `127.0.0.1:\${PERSIA_GATEWAY_PORT:-${DEFAULT_GATEWAY_PORT}}:${DEFAULT_GATEWAY_PORT}`,
          'What `persia-metrics discover` (the discovery service below) looks for.',
        ),
      ),
      prometheus: spaced({
        image: PROMETHEUS_IMAGE,
        user: commented('The image\'s own unprivileged user (nobody): Prometheus reads no socket and writes only its data.', PROMETHEUS_USER),
        command: commented(
          'No --web.enable-lifecycle (nor --web.enable-admin-api): whoever reaches :9090 could stop Prometheus with\none POST /-/quit. Apply a changed prometheus.yml with `docker-compose restart prometheus`.',
          ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'],
        ),
        volumes: [commented('Read-only; targets/ in it is where the discovery service writes.', `${cfg}/prometheus:/etc/prometheus:ro`)],
        networks: commented('Not the nodes\' network: training containers cannot reach it. The gateways are on both.', flow([MONITORING_NETWORK])),
        ports: ['127.0.0.1:${PERSIA_PROMETHEUS_PORT:-9090}:9090'],
        ...RESTART,
      }),
      discovery: discoveryService(cfg),
      grafana: spaced({
        image: GRAFANA_IMAGE,
        environment: commented('Local use without a login: anonymous viewers (the admin login stays admin/admin, as in Mephisto).', {
          GF_AUTH_ANONYMOUS_ENABLED: 'true',
          GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
          GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: '/var/lib/grafana/dashboards/persia-job-health.json',
        }),
        volumes: [`${cfg}/grafana/provisioning:/etc/grafana/provisioning:ro`, `${cfg}/grafana/dashboards:/var/lib/grafana/dashboards:ro`],
        networks: flow([MONITORING_NETWORK]),
        ports: ['127.0.0.1:${PERSIA_GRAFANA_PORT:-3000}:3000'],
        depends_on: flow(['prometheus']),
        ...RESTART,
      }),
      ...nodeServices((role) => role, options.jobName, 'metrics_gateway', () => ({ networks: flow([NODES_NETWORK]), ...RESTART })),
      janitor: janitorService(options),
    }),
    networks: spaced(networksOf(options.jobName, NODES_NETWORK)),
  });
}

/** The two networks of a stack (or overlay): the job's nodes with their gateway, and the monitoring side. */
function networksOf(jobName: string, nodesNetwork: string): Record<string, unknown> {
  return {
    [nodesNetwork]: commented(`Job "${jobName}"'s nodes and its gateway.`, {}),
    [MONITORING_NETWORK]: commented('Prometheus, Grafana and every gateway: what the nodes must not reach.', {}),
  };
}

/** Overlay: a second job with its own gateway, nodes and nodes network, found by the same discovery service. */
export function renderSecondJobCompose(secondJobName: string, layout: ComposeLayout): string {
  const suffix = serviceSuffix(secondJobName);
  const gateway = `metrics_gateway_${suffix}`;
  const nodesNetwork = `${NODES_NETWORK}_${suffix}`;
  const header = `Overlay: a second job, "${secondJobName}", beside the first, with its own gateway (the rule: one gateway
per job) and its own nodes network. The first stack's discovery service finds this gateway by its labels
and Prometheus scrapes it on the monitoring network.
  docker-compose -f docker-compose.yml -f docker-compose.second-job.yml up -d`;
  return yamlFile(header, {
    version: COMPOSE_VERSION,
    'x-persia-node': nodeAnchor(layout, false),
    services: spaced({
      [gateway]: gatewayService(layout, secondJobName, nodesNetwork, `127.0.0.1:\${PERSIA_SECOND_GATEWAY_PORT:-9092}:${DEFAULT_GATEWAY_PORT}`),
      ...nodeServices((role) => `${role}_${suffix}`, secondJobName, gateway, () => ({ networks: flow([nodesNetwork]), ...RESTART })),
    }),
    networks: spaced(networksOf(secondJobName, nodesNetwork)),
  });
}
