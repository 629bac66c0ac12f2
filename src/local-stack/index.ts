/**
 * `persia-metrics/local-stack`: the real Pushgateway and Prometheus binaries started on free 127.0.0.1 ports,
 * as `persia-metrics demo` runs them and this project's tests do. Not part of the library (`persia-metrics`
 * exports nothing from here): a subpath for trying a job on one machine, or for testing code that pushes.
 *
 *   import { startPushgateway } from 'persia-metrics/local-stack';
 *   const gateway = await startPushgateway();   // gateway.address → PERSIA_METRICS_GATEWAY_ADDR
 *   ...
 *   await gateway.stop();
 */
export { startPushgateway, type RunningPushgateway, type StartPushgatewayOptions, type PushgatewayGroup } from './pushgateway-process.js';
export { startPrometheus, type RunningPrometheus, type StartPrometheusOptions, type PromVectorSample, type PromTarget } from './prometheus-process.js';
export { startVictoriaMetrics, type RunningVictoriaMetrics, type StartVictoriaMetricsOptions } from './victoria-metrics-process.js';
export { type PromMatrixSeries } from './instant-query.js';
export { freePort } from './free-port.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
