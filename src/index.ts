/** Public API of persia-metrics. Named re-exports only: what is not listed here is internal. */
export { startNodeMetrics, NodeMetrics, type NodeState, type StartNodeMetricsInput } from './node-metrics.js';
export { handleShutdownSignals, type ShutdownSignalOptions, type Shutdownable } from './push/shutdown-signals.js';
export { loadConfig, type LoadConfigInput, type ResolvedConfig, type ValueOrigin } from './config/resolve.js';
export { OPTION_TABLE, type MetricsOptions, type OptionSpec } from './config/options.js';
export { METRIC_CATALOG, PERSIA_METRIC_NAMES, NODE_ROLES, type MetricSpec, type NodeRole, type MetricType } from './metrics/catalog.js';
export { MetricsRegistry, type ExpositionSource } from './metrics/registry.js';
export { Counter, Gauge, Histogram, CounterSeries, GaugeSeries, HistogramSeries } from './metrics/instruments.js';
export { groupingPath, groupingKeyFor, type GroupingKey } from './push/grouping-key.js';
export {
  PersiaMetricsError,
  ConfigError,
  ConfigFileError,
  LabelClashError,
  MetricDefinitionError,
  PushHttpError,
  PushTimeoutError,
  PushNetworkError,
  ShutdownTimeoutError,
  DuplicateIdentityError,
  NodeStoppedError,
  ExtraSourceError,
  ReentrantCallError,
  type ExtraSourceProblem,
  type PersiaErrorCode,
} from './errors.js';
