/**
 * Public API of persia-metrics. Named re-exports only: what is not listed here is internal. One entry point,
 * `startNodeMetrics`; every type a public signature mentions is exported with it (as a type: `NodeMetrics`
 * and the instrument classes are made by the library, never constructed by callers).
 */
export { startNodeMetrics, type NodeMetrics, type NodeState, type StartNodeMetricsInput } from './node-metrics.js';
export { handleShutdownSignals, type ShutdownSignal, type ShutdownSignalOptions, type Shutdownable } from './shutdown-signals.js';
export type { PushLogger, PusherStats } from './push/push-contract.js';
export type { FailureReason } from './push/failure-report.js';
export type { GatewayAccess } from './gateway/endpoint.js';
export type { GatewayFailureReason } from './gateway/failures.js';
export { loadConfig, type LoadConfigInput, type ResolvedConfig, type ValueOrigin } from './config/resolve.js';
export { OPTION_TABLE, type MetricsOptions, type OptionSpec, type ValueSource } from './config/options.js';
export type { GatewayAddress } from './gateway/address.js';
export { METRIC_CATALOG, PERSIA_METRIC_NAMES, NODE_ROLES, type MetricSpec, type NodeRole, type MetricType, type MetricGroup } from './metrics/catalog.js';
export { MetricsRegistry, type ExpositionSource, type Collector, type FamilyOf } from './metrics/registry.js';
export type { MetricFamily, LabelValue } from './metrics/metric-family.js';
export type { Counter, CounterSeries } from './metrics/counter.js';
export type { Gauge, GaugeSeries } from './metrics/gauge.js';
export type { Histogram, HistogramSeries } from './metrics/histogram.js';
export type { ExposedFamily } from './metrics/exposition-format.js';
export type { SeriesLimits } from './metrics/series-limit.js';
export { groupingPath, groupingKeyFor, type GroupingKey } from './push/grouping-key.js';
export { scrapeSource, DEFAULT_SCRAPE_MAX_BYTES, type ScrapeSource, type ScrapeSourceOptions } from './push/scrape-source.js';
export type { ForeignSource } from './push/extra-sources.js';
export type { ProgressSource } from './metrics/progress.js';
export type { CatalogPart } from './metrics/catalog.js';
export {
  PersiaMetricsError,
  ConfigError,
  ConfigFileError,
  LabelClashError,
  MetricDefinitionError,
  PushHttpError,
  PushTimeoutError,
  PushNetworkError,
  GatewayRequestError,
  GatewayAnswerTooLargeError,
  ShutdownTimeoutError,
  DuplicateIdentityError,
  NodeStoppedError,
  ExtraSourceError,
  ScrapeError,
  ReentrantCallError,
  DeployUsageError,
  InitExistsError,
  DiscoveryError,
  StatusError,
  type ExtraSourceProblem,
  type ScrapeProblem,
  type PersiaErrorCode,
  type ConfigProblemLocation,
} from './errors.js';
