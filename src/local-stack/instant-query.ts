/**
 * The Prometheus HTTP query API (`/api/v1/query`), which VictoriaMetrics answers too: one client for both,
 * so a test can ask each the same question at the same instant.
 */
import { errorText } from '../errors.js';
import { isRecord } from './http.js';

/** One element of an instant query's result. */
export interface PromVectorSample {
  metric: Record<string, string>;
  value: number;
}

/** One series of a range-vector selector (`x[1m]`) evaluated as an instant query: its raw samples. */
export interface PromMatrixSeries {
  metric: Record<string, string>;
  /** [unix seconds, value] pairs, oldest first. */
  samples: Array<[number, number]>;
}

/**
 * Evaluates `promql` at `timeSeconds` (default: the server's now) and returns its vector, or a scalar as one
 * unlabelled sample. Throws with the server's error text when the query fails.
 */
export async function instantQuery(baseUrl: string, promql: string, timeSeconds?: number): Promise<PromVectorSample[]> {
  const data = await queryData(baseUrl, promql, timeSeconds);
  const { resultType, result } = data;
  if (resultType === 'scalar') return [{ metric: {}, value: sampleValue(result) }];
  if (resultType !== 'vector' || !Array.isArray(result)) {
    throw new Error(`query ${promql}: expected an instant vector, got ${String(resultType)}`);
  }
  return result.map((raw: unknown): PromVectorSample => {
    if (!isRecord(raw)) throw new Error(`query ${promql}: bad sample ${JSON.stringify(raw)}`);
    return { metric: stringRecord(raw['metric']), value: sampleValue(raw['value']) };
  });
}

/** Evaluates a range-vector selector such as `{job="x"}[30s]` at `timeSeconds`: the raw samples each server holds. */
export async function rangeSelectorQuery(baseUrl: string, promql: string, timeSeconds: number): Promise<PromMatrixSeries[]> {
  const { resultType, result } = await queryData(baseUrl, promql, timeSeconds);
  if (resultType !== 'matrix' || !Array.isArray(result)) {
    throw new Error(`query ${promql}: expected a range vector, got ${String(resultType)}`);
  }
  return result.map((raw: unknown): PromMatrixSeries => {
    const values = isRecord(raw) ? raw['values'] : undefined;
    if (!isRecord(raw) || !Array.isArray(values)) throw new Error(`query ${promql}: bad series ${JSON.stringify(raw)}`);
    return { metric: stringRecord(raw['metric']), samples: values.map((pair: unknown): [number, number] => [Array.isArray(pair) ? Number(pair[0]) : NaN, sampleValue(pair)]) };
  });
}

async function queryData(baseUrl: string, promql: string, timeSeconds: number | undefined): Promise<Record<string, unknown>> {
  const params = new URLSearchParams({ query: promql });
  if (timeSeconds !== undefined) params.set('time', timeSeconds.toFixed(3));
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${baseUrl}/api/v1/query?${params.toString()}`, { signal: AbortSignal.timeout(10_000) });
    text = await res.text();
  } catch (err) {
    throw new Error(`query ${promql} against ${baseUrl} failed: ${errorText(err)}`, { cause: err });
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new Error(`query ${promql}: HTTP ${res.status}, not JSON: ${text.slice(0, 500)}`);
  }
  if (!isRecord(body) || body['status'] !== 'success' || !isRecord(body['data'])) {
    const detail = isRecord(body) ? `${String(body['errorType'])}: ${String(body['error'])}` : text;
    throw new Error(`query ${promql} failed (HTTP ${res.status}): ${detail}`);
  }
  return body['data'];
}

/** Prometheus writes special floats as "+Inf", "-Inf", "NaN"; Number() only knows the last. */
function parseSampleValue(raw: unknown): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw);
}

/** `value` of a sample is `[unixSeconds, "number"]`. */
function sampleValue(pair: unknown): number {
  return Array.isArray(pair) ? parseSampleValue(pair[1]) : NaN;
}

export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) out[k] = String(v);
  return out;
}
