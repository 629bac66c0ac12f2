/**
 * What the `view` page (browser code, src/view/page) and the view server agree on: the paths the page asks
 * and the alerts it reads from `ALERTS`. Compiled by both builds (src/view/page/tsconfig.json includes this
 * file), so neither side keeps a copy. Values only, no imports: the page build sees nothing else.
 * Node roles and the default push interval reach the page as data, in the answer to VIEW_PATHS.settings.
 */

/** A node this much slower than its role's typical node (src/monitoring/straggler-rules.ts). */
export const STRAGGLER_ALERT = 'PersiaStragglerNode';
/** Two processes push as one node (src/monitoring/alert-rules.ts). */
export const DUPLICATE_IDENTITY_ALERT = 'PersiaDuplicateNodeIdentity';

/** The view server's own answers and the Prometheus API paths it passes through. */
export const VIEW_PATHS = {
  settings: '/api/settings',
  panels: '/api/panels',
  query: '/api/v1/query',
  queryRange: '/api/v1/query_range',
  jobValues: '/api/v1/label/job/values',
} as const;
