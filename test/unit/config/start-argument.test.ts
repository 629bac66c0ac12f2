/**
 * startNodeMetrics() called from plain JavaScript with something that is not an options object: the
 * ConfigError family (typed, with a code) names the argument, instead of a TypeError from inside.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { startNodeMetrics, type StartNodeMetricsInput } from '../../../src/node-metrics.js';

function startWith(input: unknown): ConfigError {
  try {
    startNodeMetrics(input as StartNodeMetricsInput);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('startNodeMetrics accepted the argument');
}

describe('startNodeMetrics refuses an argument that is not an object', () => {
  it.each([null, 'global_config.yaml', 5, [], true])('startNodeMetrics(%j) is a ConfigError', (input) => {
    const error = startWith(input);
    expect(error.code).toBe(new ConfigError({ source: 'x', path: '' }, 'y', 'z').code);
    expect(error.source).toBe('startNodeMetrics()');
    expect(error.expected).toBe('an object (or nothing)');
    expect(error.message).not.toMatch(/Cannot read properties/);
  });

  it.each([null, 'role=middleware', 3])('{ options: %j } is a ConfigError naming options', (options) => {
    const error = startWith({ options });
    expect(error.path).toBe('options');
  });
});
