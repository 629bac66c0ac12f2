/**
 * A small reader of the Prometheus text format for assertions: series key (name + sorted labels) → value,
 * plus each family's TYPE and HELP. Unescapes label values exactly as Prometheus does.
 */

export interface ParsedExposition {
  readonly samples: Map<string, number>;
  readonly types: Map<string, string>;
  readonly helps: Map<string, string>;
}

export function parseExposition(text: string): ParsedExposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name = '', type = ''] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (line.startsWith('# HELP ')) {
      const rest = line.slice('# HELP '.length);
      const space = rest.indexOf(' ');
      helps.set(
        rest.slice(0, space),
        rest
          .slice(space + 1)
          .replace(/\\n/g, '\n')
          .replace(/\\\\/g, '\\'),
      );
      continue;
    }
    if (line.startsWith('#')) continue;
    const { name, labels, rest } = splitSample(line);
    const value = rest.trim().split(/\s+/)[0] ?? '';
    samples.set(seriesKey(name, labels), parseValue(value));
  }
  return { samples, types, helps };
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((label) => `${label}=${JSON.stringify(labels[label])}`);
  return `${name}{${parts.join(',')}}`;
}

function splitSample(line: string): { name: string; labels: Record<string, string>; rest: string } {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace === -1 || (space !== -1 && space < brace)) return { name: line.slice(0, space), labels: {}, rest: line.slice(space) };
  const labels: Record<string, string> = {};
  let index = brace + 1;
  while (line[index] !== '}') {
    const equals = line.indexOf('=', index);
    const label = line.slice(index, equals).replace(/^[\s,]+/, '');
    index = equals + 2; // skip ="
    let value = '';
    while (line[index] !== '"') {
      if (line[index] === '\\') {
        const next = line[index + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        index += 2;
      } else {
        value += line[index];
        index += 1;
      }
    }
    labels[label] = value;
    index += 1; // closing quote
    if (line[index] === ',') index += 1;
  }
  return { name: line.slice(0, brace), labels, rest: line.slice(index + 1) };
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
