/**
 * PersiaML's example global_config.yaml (the persia-embedding-config crate's example), verbatim: the
 * `common_config.metrics_config` layout, the `push_interval_sec` spelling its parser ignores, and the other
 * sections of PersiaML's config around it. Shared by the unit, CLI and user-program tests.
 */
export const PERSIAML_EXAMPLE = `common_config:
  metrics_config:
    enable_metrics: true
    push_interval_sec: 10
  job_type: Train
  checkpointing_config:
    num_workers: 8
embedding_parameter_server_config:
  capacity: 1000000
  num_hashmap_internal_shards: 1
  enable_incremental_update: false
  incremental_buffer_size: 5000000
  incremental_channel_capacity: 1000
embedding_worker_config:
  forward_buffer_size: 1000`;

/** The same file's line with the misspelt key (1-based). */
export const PERSIAML_EXAMPLE_INTERVAL_LINE = 4;
