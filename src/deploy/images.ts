/** The images every deployment target runs (compose, swarm and Kubernetes pin the same versions). */
export const NODE_IMAGE = 'persia-metrics/node:local';
export const PUSHGATEWAY_IMAGE = 'prom/pushgateway:v1.5.1';
export const PROMETHEUS_IMAGE = 'prom/prometheus:v2.42.0';
export const GRAFANA_IMAGE = 'grafana/grafana:9.4.7';
