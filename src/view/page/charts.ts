/**
 * A panel's time series drawn with uPlot (loaded as a classic script: the global `uPlot`). Points sit on a
 * fixed grid of the window's step, so a time without data is a gap in the line, never a bridge; the times
 * when Prometheus did not answer are shaded as well.
 */
import type uPlotTypes from 'uplot';
import { formatValue, legendText, sampleNumber } from './format.js';
import type { SeriesRange } from './api.js';

type UPlot = uPlotTypes;
declare const uPlot: typeof uPlotTypes;

export interface Outage {
  readonly from: number;
  /** undefined while Prometheus is still not answering. */
  readonly to: number | undefined;
}

export interface ChartSeries {
  readonly label: string;
  readonly range: SeriesRange;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];
const HEIGHT = 170;

export function chartSeries(targets: ReadonlyArray<{ legend: string; result: readonly SeriesRange[] }>): ChartSeries[] {
  return targets.flatMap((target) => target.result.map((range) => ({ label: legendText(target.legend, range.metric), range })));
}

/** x = grid times, then one row per series, null where the series has no point. */
export function alignedData(series: readonly ChartSeries[], start: number, end: number, step: number): (number | null)[][] {
  const xs: number[] = [];
  for (let t = start; t <= end + 1e-9; t += step) xs.push(t);
  const rows = series.map(({ range }) => {
    const row: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const [time, text] of range.values) {
      const index = Math.round((time - start) / step);
      const value = sampleNumber(text);
      if (index >= 0 && index < xs.length && Number.isFinite(value)) row[index] = value;
    }
    return row;
  });
  return [xs, ...rows];
}

function outageBands(outages: () => readonly Outage[]): (u: UPlot) => void {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = 'rgba(220, 38, 38, 0.12)';
    for (const outage of outages()) {
      const left = u.valToPos(outage.from, 'x', true);
      const right = u.valToPos(outage.to ?? Date.now() / 1000, 'x', true);
      const x0 = Math.max(bbox.left, left);
      const x1 = Math.min(bbox.left + bbox.width, right);
      if (x1 > x0) ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    }
    ctx.restore();
  };
}

function clockLabel(unixSeconds: number, spanSeconds: number): string {
  const time = new Date(unixSeconds * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const minutes = `${pad(time.getHours())}:${pad(time.getMinutes())}`;
  return spanSeconds <= 900 ? `${minutes}:${pad(time.getSeconds())}` : minutes;
}

/** One chart per panel, rebuilt when its series change, else fed new data. */
export class PanelChart {
  private plot: UPlot | undefined;
  private labels = '';

  constructor(
    private readonly container: HTMLElement,
    private readonly unit: string,
    private readonly outages: () => readonly Outage[],
  ) {}

  update(series: readonly ChartSeries[], start: number, end: number, step: number): void {
    const data = alignedData(series, start, end, step) as uPlotTypes.AlignedData;
    const labels = series.map((s) => s.label).join('\u0000');
    if (this.plot !== undefined && labels === this.labels) {
      this.plot.setData(data);
      return;
    }
    this.destroy();
    this.labels = labels;
    const unit = this.unit;
    const options: uPlotTypes.Options = {
      width: Math.max(240, this.container.clientWidth),
      height: HEIGHT,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        // One line of clock times: uPlot's default adds a date line whose labels collide in short windows.
        { stroke: '#6b7280', grid: { stroke: '#f0f0f0' }, space: 70, values: (_u, values) => values.map((v) => clockLabel(v, end - start)) },
        { stroke: '#6b7280', grid: { stroke: '#f0f0f0' }, size: 76, values: (_u, values) => values.map((v) => formatValue(v, unit)) },
      ],
      series: [{}, ...series.map((s, index) => ({ label: s.label, stroke: COLORS[index % COLORS.length] ?? '#2563eb', width: 1.5, spanGaps: false, points: { show: false } }))],
      hooks: { draw: [outageBands(this.outages)] },
    };
    this.plot = new uPlot(options, data, this.container);
  }

  resize(): void {
    this.plot?.setSize({ width: Math.max(240, this.container.clientWidth), height: HEIGHT });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }
}
