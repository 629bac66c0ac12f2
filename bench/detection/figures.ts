/**
 * The detection benchmark's figures as data (data/detection-figures.json): written by `npm run detection`,
 * read by the page renderer (page.ts) and by the test that keeps docs/detection.md in step with them.
 */
import { readFileSync } from 'node:fs';
import type { FaultKind } from './shipped-rules.js';

export const DETECTION_FIGURES_FILE = 'data/detection-figures.json';
export const DETECTION_PAGE_FILE = 'docs/detection.md';
/** Where a quick run writes: a gitignored directory (.gitignore's `.tmp/`), never the committed figures and page. */
export const QUICK_OUTPUT_DIR = '.tmp/detection-quick/';

/** The figures and page a run writes, relative to the repository: only a full run rewrites the committed ones. */
export function detectionOutputs(mode: 'full' | 'quick'): { readonly figures: string; readonly page: string } {
  if (mode === 'full') return { figures: DETECTION_FIGURES_FILE, page: DETECTION_PAGE_FILE };
  return { figures: `${QUICK_OUTPUT_DIR}detection-figures.json`, page: `${QUICK_OUTPUT_DIR}detection.md` };
}

/** Time to alert and recall of one set of faults. Times in seconds; null where the percentile is a miss. */
export interface SliceFigures {
  readonly label: string;
  readonly faults: number;
  readonly detected: number;
  readonly recall: number | null;
  /** Over every fault, a missed one counting as never. */
  readonly medianSeconds: number | null;
  readonly p95Seconds: number | null;
  /** Over the detected ones only. */
  readonly detectedMedianSeconds: number | null;
  /** As a live Prometheus shows them: plus its evaluation phase behind the scrape (score.ts, evaluationPhaseSeconds). */
  readonly liveMedianSeconds: number | null;
  readonly liveP95Seconds: number | null;
}

export interface KindFigures extends SliceFigures {
  readonly kind: FaultKind;
  /** The shipped alerts that claim this kind: their `for` and longest window (their records' included), seconds. */
  readonly alerts: ReadonlyArray<{ readonly name: string; readonly forSeconds: number; readonly windowSeconds: number }>;
  readonly scenarios: number;
  /** Alert episodes naming a node with this fault, after its onset. */
  readonly trueAlerts: number;
  /** Every other episode of these alerts (healthy nodes, other faults, before the onset). */
  readonly falseAlerts: number;
  readonly precision: number | null;
  readonly f1: number | null;
  readonly falseAlertsPer1000NodeHours: number;
}

export interface DetectionFigures {
  readonly measuredAt: string;
  readonly mode: 'full' | 'quick';
  /** The commit of src/monitoring whose rules were measured (`git log -1 -- src/monitoring`). */
  readonly rulesCommit: string;
  readonly machine: { readonly cores: number; readonly cpuModel: string; readonly node: string; readonly promtool: string };
  readonly runSeconds: number;
  readonly setup: {
    readonly seed: number;
    readonly perKind: number;
    readonly pushIntervalSeconds: number;
    readonly scrapeIntervalSeconds: number;
    readonly evaluationSeconds: number;
    readonly scenarios: number;
    readonly nodes: number;
    readonly healthyNodeHours: number;
    readonly warmUpSeconds: number;
    readonly longestWindowSeconds: number;
    readonly longestForSeconds: number;
    readonly stragglerThreshold: number;
    readonly staleAfterIntervals: number;
  };
  readonly kinds: readonly KindFigures[];
  readonly stragglerSlices: readonly SliceFigures[];
  readonly shutdown: { readonly scenarios: number; readonly deadAlerts: number };
  /** Alerts that claim no fault kind, with their episodes on healthy nodes. */
  readonly otherAlerts: ReadonlyArray<{ readonly alert: string; readonly episodes: number; readonly per1000NodeHours: number }>;
}

export function readDetectionFigures(root: URL | string): DetectionFigures {
  return JSON.parse(readFileSync(new URL(DETECTION_FIGURES_FILE, root), 'utf8')) as DetectionFigures;
}
