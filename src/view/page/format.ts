/** Numbers as the Grafana units of the panels ('s', 'percentunit', 'percent', 'bytes', 'ops', 'short'), and legends. */

function significant(value: number, digits = 3): string {
  if (value === 0) return '0';
  const text = Number(value.toPrecision(digits)).toString();
  return text.includes('e') ? value.toExponential(1) : text;
}

function short(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${significant(value / 1e9)}G`;
  if (abs >= 1e6) return `${significant(value / 1e6)}M`;
  if (abs >= 1e4) return `${significant(value / 1e3)}k`;
  return significant(value);
}

function seconds(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${significant(value * 1e6)} µs`;
  if (abs < 1) return `${significant(value * 1e3)} ms`;
  if (abs < 120) return `${significant(value)} s`;
  if (abs < 7200) return `${significant(value / 60)} min`;
  return `${significant(value / 3600)} h`;
}

function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let index = 0;
  while (Math.abs(scaled) >= 1024 && index < units.length - 1) {
    scaled /= 1024;
    index += 1;
  }
  return `${significant(scaled)} ${units[index] ?? 'B'}`;
}

export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 's':
      return seconds(value);
    case 'percentunit':
      return `${significant(value * 100)}%`;
    case 'percent':
      return `${significant(value)}%`;
    case 'bytes':
      return bytes(value);
    case 'ops':
      return `${short(value)}/s`;
    default:
      return short(value);
  }
}

/** "4.2 s", "3 min", "2.5 h": how long ago a node last pushed. */
export function formatAge(ageSeconds: number): string {
  if (!Number.isFinite(ageSeconds)) return '–';
  const age = Math.max(0, ageSeconds);
  if (age < 10) return `${age.toFixed(1)} s`;
  if (age < 120) return `${Math.round(age)} s`;
  if (age < 7200) return `${Math.round(age / 60)} min`;
  return `${(age / 3600).toFixed(1)} h`;
}

/** Grafana's legend format: `{{label}}` becomes the series' value of that label. */
export function legendText(format: string, labels: Readonly<Record<string, string>>): string {
  const text = format.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '').trim();
  if (text !== '') return text;
  const shown = Object.entries(labels).filter(([name]) => name !== '__name__');
  return shown.length === 0 ? 'value' : shown.map(([name, value]) => `${name}=${value}`).join(' ');
}

/** Prometheus writes special floats as strings. */
export function sampleNumber(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

export function clockTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleTimeString([], { hour12: false });
}

/** `1 node`, `2 nodes`; `1 duplicate identity`, `2 duplicate identities`. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
