/**
 * The roles of a PersiaML job's nodes, in the order they are shown (trainers first). A node's `role` option
 * takes one of them, the catalog says which roles record each metric, and tables and dashboards list them
 * in this order. Defined here, at the bottom of the pipeline, so configuration needs nothing above it.
 */
const ROLES = ['trainer', 'middleware', 'server'] as const;
export type NodeRole = (typeof ROLES)[number];
export const NODE_ROLES: readonly NodeRole[] = ROLES;
/** The same list as a tuple, for a schema that needs one (`z.enum`). */
export const NODE_ROLE_TUPLE = ROLES;
