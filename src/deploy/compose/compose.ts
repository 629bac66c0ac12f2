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
import { SWARM_NETWORK } from '../prometheus/prometheus-config.js';
import { alias, anchored, commented, flow, spaced, yamlFile } from '../yaml.js';

export interface ComposeLayout {
  /** Path of the config/ folder (prometheus/, grafana/) relative to the compose files. */
  readonly configDir: string;
  /** Build the node image from this checkout: context relative to the compose files. */
  readonly nodeBuildContext?: string;
}

type Service = Record<string, unknown>;

/** The compose file format every file declares (docker-compose 1.x needs it). */
const COMPOSE_VERSION = '3.8';
const NODE_ANCHOR = 'persia-node';

const GATEWAY_COMMAND = commented(
  `The client checks every push against its metric catalog (one type and help per name in every group),
so the gateway's own consistency check is redundant, and it is what costs: about 1 us x every series
stored on the gateway, per push. 1,024 nodes x 1k series every 10 s: one gateway with the check completes
none of their pushes; without it, 4 gateways take all at p99 13 ms (persia-metrics docs/performance.md).
Caution: without it the gateway answers 202 before applying a push, so a rejected push shows only as push_failure_time_seconds (PersiaNodePushesRejected).`,
  ['--push.disable-consistency-check', commented('No persistence file: groups live as long as the gateway; nodes push again within one interval.', '--persistence.file=')],
);

function gatewayLabels(jobName: string): Record<string, string> {
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
function nodeServices(name: (role: NodeRole) => string, jobName: string, gateway: string, extra: (role: NodeRole) => Service): Record<string, unknown> {
  return Object.fromEntries(NODE_ROLES.map((role) => [name(role), spaced(nodeService(role, jobName, gateway, extra(role)))]));
}

function nodeAnchor(layout: ComposeLayout, swarm: boolean): unknown {
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
      restart: 'unless-stopped',
    },
    true,
  );
}

const RESTART = { restart: 'unless-stopped' };

export function renderCompose(options: DeployOptions, layout: ComposeLayout): string {
  const cfg = layout.configDir;
  const header = `persia-metrics single-host stack for job "${options.jobName}" (rendered by \`persia-metrics init\`).
  docker-compose up -d     Grafana http://127.0.0.1:3000, Prometheus :9090, gateway :${DEFAULT_GATEWAY_PORT}
Ports are published on 127.0.0.1 only; PERSIA_*_PORT variables move them (two stacks on one host).`;
  return yamlFile(header, {
    version: COMPOSE_VERSION,
    'x-persia-node': nodeAnchor(layout, false),
    services: spaced({
      metrics_gateway: commented("The job's own gateway (never shared across jobs). Its name is PersiaML's default push address.", {
        image: PUSHGATEWAY_IMAGE,
        command: GATEWAY_COMMAND,
        labels: commented('What docker_sd in prometheus.yml and `persia-metrics discover` look for.', gatewayLabels(options.jobName)),
        ports: [`127.0.0.1:\${PERSIA_GATEWAY_PORT:-${DEFAULT_GATEWAY_PORT}}:${DEFAULT_GATEWAY_PORT}`],
        ...RESTART,
      }),
      prometheus: spaced({
        image: PROMETHEUS_IMAGE,
        user: commented(
          'The image runs as nobody, which cannot read the engine socket docker_sd needs (its group differs from\nhost to host). Numeric: images without /etc/passwd (scratch builds) know no user names.',
          '0:0',
        ),
        command: commented(
          'No --web.enable-lifecycle (nor --web.enable-admin-api): every container on this network reaches\n:9090, and with it one POST /-/quit stops Prometheus. Apply a changed prometheus.yml with\n`docker-compose restart prometheus`.',
          ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'],
        ),
        volumes: [
          `${cfg}/prometheus:/etc/prometheus:ro`,
          commented(
            `The engine socket for docker_sd. Podman: PERSIA_DOCKER_SOCKET=/run/podman/podman.sock
Trade-off: :ro keeps the file from being replaced, not the engine's API from being used, so this
container can drive the engine; that is why it runs no lifecycle or admin API. Without docker_sd
(delete this mount, the persia_gateway_docker job in prometheus.yml and user: above), Prometheus runs
as nobody with no engine access, and \`persia-metrics discover\` on the host writes the other jobs'
gateways to config/prometheus/targets/ instead (docs/deployment.md).`,
            '${PERSIA_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock:ro',
          ),
        ],
        ports: ['127.0.0.1:${PERSIA_PROMETHEUS_PORT:-9090}:9090'],
        ...RESTART,
      }),
      grafana: spaced({
        image: GRAFANA_IMAGE,
        environment: commented('Local use without a login: anonymous viewers (the admin login stays admin/admin, as in Mephisto).', {
          GF_AUTH_ANONYMOUS_ENABLED: 'true',
          GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
          GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: '/var/lib/grafana/dashboards/persia-job-health.json',
        }),
        volumes: [`${cfg}/grafana/provisioning:/etc/grafana/provisioning:ro`, `${cfg}/grafana/dashboards:/var/lib/grafana/dashboards:ro`],
        ports: ['127.0.0.1:${PERSIA_GRAFANA_PORT:-3000}:3000'],
        depends_on: flow(['prometheus']),
        ...RESTART,
      }),
      ...nodeServices((role) => role, options.jobName, 'metrics_gateway', () => RESTART),
      janitor: janitorService(options),
    }),
  });
}

/** Overlay: a second job with its own gateway and nodes, found by the same Prometheus through docker_sd. */
export function renderSecondJobCompose(secondJobName: string, layout: ComposeLayout): string {
  const suffix = serviceSuffix(secondJobName);
  const gateway = `metrics_gateway_${suffix}`;
  const header = `Overlay: a second job, "${secondJobName}", beside the first, with its own gateway (the rule: one gateway
per job). The first stack's Prometheus finds this gateway through docker_sd (its labels), not DNS.
  docker-compose -f docker-compose.yml -f docker-compose.second-job.yml up -d`;
  return yamlFile(header, {
    version: COMPOSE_VERSION,
    'x-persia-node': nodeAnchor(layout, false),
    services: spaced({
      [gateway]: {
        image: PUSHGATEWAY_IMAGE,
        command: GATEWAY_COMMAND,
        labels: gatewayLabels(secondJobName),
        ports: [`127.0.0.1:\${PERSIA_SECOND_GATEWAY_PORT:-9092}:${DEFAULT_GATEWAY_PORT}`],
        ...RESTART,
      },
      ...nodeServices((role) => `${role}_${suffix}`, secondJobName, gateway, () => RESTART),
    }),
  });
}

function swarmConfigs(cfg: string, dashboards: readonly string[]): Record<string, { file: string }> {
  const entries: Array<[string, string]> = [
    ['global_config', './global_config.yaml'],
    ['prometheus_yml', `${cfg}/prometheus/prometheus-swarm.yml`],
    ['persia_alerts', `${cfg}/prometheus/rules/persia-alerts.yml`],
    ['persia_recording', `${cfg}/prometheus/rules/persia-recording.yml`],
    ['grafana_datasource', `${cfg}/grafana/provisioning/datasources/prometheus.yml`],
    ['grafana_dashboards', `${cfg}/grafana/provisioning/dashboards/persia.yml`],
    ...dashboards.map((file): [string, string] => [dashboardConfigName(file), `${cfg}/grafana/dashboards/${file}`]),
  ];
  return Object.fromEntries(entries.map(([name, file]) => [name, { file }]));
}

function dashboardConfigName(file: string): string {
  return `dashboard_${file.replace(/\.json$/, '').replace(/[^a-z0-9]/g, '_')}`;
}

/**
 * Swarm variant. Config files travel as swarm configs (a bind mount would need the checkout on whichever
 * node runs the task). No ports are published: swarm's ingress cannot bind 127.0.0.1 and would expose the
 * unauthenticated gateway and Prometheus on every node's every interface.
 */
export function renderSwarmCompose(options: DeployOptions, layout: ComposeLayout, dashboards: readonly string[]): string {
  const header = `persia-metrics swarm stack for job "${options.jobName}" (rendered by \`persia-metrics init\`).
  docker stack deploy -c docker-compose.swarm.yml persia
No published ports (swarm cannot bind 127.0.0.1). Reach Grafana through the attachable network, e.g.
  docker run --rm --network ${SWARM_NETWORK} -p 127.0.0.1:3000:3000 alpine/socat TCP-LISTEN:3000,fork TCP:grafana:3000`;
  const networks = { networks: flow([SWARM_NETWORK]) };
  return yamlFile(header, {
    version: COMPOSE_VERSION,
    'x-persia-node': nodeAnchor(layout, true),
    services: spaced({
      metrics_gateway: {
        image: PUSHGATEWAY_IMAGE,
        command: GATEWAY_COMMAND,
        labels: commented('Container labels: docker_sd on one node and `persia-metrics discover` see these.', gatewayLabels(options.jobName)),
        ...networks,
        deploy: {
          replicas: commented(
            `One replica. Behind the service's virtual IP, replicas would each receive some pushes of the same
node and keep diverging copies of its group. To shard, add services metrics_gateway_1, _2 ... and
list them all in PERSIA_METRICS_GATEWAY_ADDR (each node then sticks to one).`,
            1,
          ),
          labels: commented('Service labels: what dockerswarm_sd_configs in prometheus-swarm.yml keeps.', gatewayLabels(options.jobName)),
          restart_policy: { condition: 'any' },
        },
      },
      prometheus: spaced({
        image: PROMETHEUS_IMAGE,
        user: '0:0',
        command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'],
        configs: [
          { source: 'prometheus_yml', target: '/etc/prometheus/prometheus.yml' },
          { source: 'persia_alerts', target: '/etc/prometheus/rules/persia-alerts.yml' },
          { source: 'persia_recording', target: '/etc/prometheus/rules/persia-recording.yml' },
        ],
        volumes: ['/var/run/docker.sock:/var/run/docker.sock:ro'],
        ...networks,
        deploy: {
          replicas: 1,
          placement: commented('dockerswarm_sd reads the swarm API, which only managers answer.', { constraints: flow(['node.role == manager']) }),
        },
      }),
      grafana: spaced({
        image: GRAFANA_IMAGE,
        environment: { GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' },
        configs: [
          { source: 'grafana_datasource', target: '/etc/grafana/provisioning/datasources/prometheus.yml' },
          { source: 'grafana_dashboards', target: '/etc/grafana/provisioning/dashboards/persia.yml' },
          ...dashboards.map((file) => ({ source: dashboardConfigName(file), target: `/var/lib/grafana/dashboards/${file}` })),
        ],
        ...networks,
        deploy: { replicas: 1 },
      }),
      ...nodeServices(
        (role) => role,
        options.jobName,
        'metrics_gateway',
        (role) => ({
          hostname: commented("Stable per-slot hostnames: a restarted task reuses its instance label (hostname_rep_0) and group.", '{{.Service.Name}}-{{.Task.Slot}}'),
          ...networks,
          deploy: { replicas: role === 'middleware' ? 1 : 2, restart_policy: { condition: 'on-failure' } },
        }),
      ),
    }),
    networks: spaced({
      [SWARM_NETWORK]: {
        driver: 'overlay',
        name: commented('A fixed name (not <stack>_...): prometheus-swarm.yml keeps task addresses on this network by name.', SWARM_NETWORK),
        attachable: true,
      },
    }),
    configs: spaced(swarmConfigs(layout.configDir, dashboards)),
  });
}
