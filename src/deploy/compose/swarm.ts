/**
 * The swarm twin of the single-host compose file (docker stack deploy). Swarm cannot be run on the test
 * machines (no swarm in Podman): the file is checked with docker-compose config and promtool only.
 */
import { type DeployOptions } from '../deploy-options.js';
import { GRAFANA_IMAGE, PROMETHEUS_IMAGE, PUSHGATEWAY_IMAGE } from '../images.js';
import { SWARM_NETWORK } from '../prometheus/prometheus-config.js';
import { commented, flow, spaced, yamlFile } from '../yaml.js';
import { COMPOSE_VERSION, type ComposeLayout, gatewayCommand, gatewayLabels, nodeAnchor, nodeServices } from './compose.js';

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
        command: gatewayCommand(layout.gatewayConsistencyCheck === true),
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
