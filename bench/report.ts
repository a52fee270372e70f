// Pure: statistics, tables, targets and the chart of the benchmarks' reports.

export interface Series {
  tool: string;
  /** Seconds, one per run. */
  runs: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `min-max`, one decimal each. */
export function range(values: readonly number[]): string {
  return `${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}`;
}

export function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}

/** One table: every tool's median (min-max) and its time as a multiple of fleet's. */
export function timeTable(series: readonly Series[], reference = 'fleet'): string {
  const fleet = series.find((entry) => entry.tool === reference);
  const fleetMedian = fleet ? median(fleet.runs) : NaN;
  const rows = series.map((entry) => {
    const m = median(entry.runs);
    const ratio = entry.tool === reference ? '1.00' : (m / fleetMedian).toFixed(2);
    return `| ${entry.tool} | ${formatSeconds(m)} | ${formatSeconds(Math.min(...entry.runs))} – ${formatSeconds(Math.max(...entry.runs))} | ${entry.runs.length} | ${ratio} |`;
  });
  return ['| tool | median | min – max | runs | tool / fleet |', '|---|---|---|---|---|', ...rows].join('\n');
}

export interface Target {
  what: string;
  /** The measured ratio or value, and the bound it must not pass. */
  value: number;
  bound: number;
  unit: '×' | 'ms' | 'MB' | 'MB/s';
  /** `max`: value ≤ bound; `min`: value ≥ bound. */
  kind?: 'max' | 'min';
}

export function targetTable(targets: readonly Target[]): string {
  const rows = targets.map((target) => {
    const met = target.kind === 'min' ? target.value >= target.bound : target.value <= target.bound;
    const show = (n: number) => (target.unit === '×' ? `${n.toFixed(2)}×` : `${n.toFixed(target.unit === 'MB/s' ? 1 : 0)} ${target.unit}`);
    return `| ${target.what} | ${show(target.value)} | ${target.kind === 'min' ? '≥' : '≤'} ${show(target.bound)} | ${met ? 'met' : '**not met**'} |`;
  });
  return ['| target | measured | bound | |', '|---|---|---|---|', ...rows].join('\n');
}

/** A line chart, one panel per phase: median seconds against host count, one line per tool. */
export function fanoutChart(panels: readonly { title: string; lines: { tool: string; points: [number, number][] }[] }[]): string {
  const width = 460;
  const height = 320;
  const margin = { left: 56, right: 130, top: 30, bottom: 40 };
  const colours = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d'];
  const tools = [...new Set(panels.flatMap((panel) => panel.lines.map((line) => line.tool)))];
  const parts: string[] = [];
  panels.forEach((panel, index) => {
    const x0 = index * width;
    const points = panel.lines.flatMap((line) => line.points);
    const maxX = Math.max(...points.map(([x]) => x), 1);
    const maxY = Math.max(...points.map(([, y]) => y), 0.001) * 1.1;
    const sx = (x: number) => x0 + margin.left + (x / maxX) * (width - margin.left - margin.right);
    const sy = (y: number) => margin.top + (1 - y / maxY) * (height - margin.top - margin.bottom);
    parts.push(`<text x="${x0 + margin.left}" y="18" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(maxX)}" y2="${sy(0)}" stroke="#333"/>`);
    parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(0)}" y2="${sy(maxY)}" stroke="#333"/>`);
    for (let i = 0; i <= 4; i += 1) {
      const y = (maxY / 4) * i;
      parts.push(`<text x="${sx(0) - 6}" y="${sy(y) + 4}" font-size="10" text-anchor="end">${y.toFixed(y < 10 ? 1 : 0)} s</text>`);
    }
    for (const x of [...new Set(points.map(([px]) => px))]) {
      parts.push(`<text x="${sx(x)}" y="${sy(0) + 16}" font-size="10" text-anchor="middle">${x}</text>`);
    }
    parts.push(`<text x="${sx(maxX / 2)}" y="${height - 6}" font-size="11" text-anchor="middle">hosts</text>`);
    for (const line of panel.lines) {
      const colour = colours[tools.indexOf(line.tool) % colours.length];
      const sorted = [...line.points].sort((a, b) => a[0] - b[0]);
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${sorted.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`,
      );
      for (const [x, y] of sorted) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    panel.lines.forEach((line, row) => {
      const colour = colours[tools.indexOf(line.tool) % colours.length];
      const y = margin.top + 10 + row * 16;
      parts.push(`<rect x="${x0 + width - margin.right + 10}" y="${y - 8}" width="10" height="10" fill="${colour}"/>`);
      parts.push(`<text x="${x0 + width - margin.right + 24}" y="${y + 1}" font-size="11">${escapeXml(line.tool)}</text>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * panels.length}" height="${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A report with a section of another benchmark's in it, between
 * `<!-- NAME -->` and `<!-- /NAME -->`: replaced when there, else added at
 * the end. So that `fleet-vs-peers` rewriting RESULTS.md keeps the section
 * `events-stream` writes into it, and the other way round.
 */
export function withSection(report: string, name: string, section: string): string {
  const start = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  const block = `${start}\n${section.trim()}\n${end}`;
  const from = report.indexOf(start);
  const to = report.indexOf(end);
  if (from !== -1 && to > from) return report.slice(0, from) + block + report.slice(to + end.length);
  return `${report.trimEnd()}\n\n${block}\n`;
}

/** The section `NAME` of a report (as {@link withSection} put it there), or null. */
export function sectionOf(report: string, name: string): string | null {
  const start = `<!-- ${name} -->`;
  const from = report.indexOf(start);
  const to = report.indexOf(`<!-- /${name} -->`);
  return from === -1 || to < from ? null : report.slice(from + start.length, to);
}
