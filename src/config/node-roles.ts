/**
 * The roles of a PersiaML job's nodes, in the order they are shown (trainers first). A node's `role` option
 * takes one of them, the catalog says which roles record each metric, and tables and dashboards list them
 * in this order. Defined here, at the bottom of the pipeline, so configuration needs nothing above it.
 */
export type NodeRole = 'trainer' | 'middleware' | 'server';
export const NODE_ROLES: readonly NodeRole[] = ['trainer', 'middleware', 'server'];
