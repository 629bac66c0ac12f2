/**
 * The view's one HTML page and its style sheet. The page is an empty frame: src/view/page/main.ts (compiled
 * to assets/main.js) fills the job picker, the node table and the panels from the view server's answers.
 */

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>persia-metrics view</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/view.css">
<script src="/assets/uPlot.iife.min.js"></script>
<script type="module" src="/assets/main.js"></script>
</head>
<body>
<header>
  <h1>persia-metrics</h1>
  <label>job <select id="job-picker" aria-label="job"></select></label>
  <label>window <select id="window-picker" aria-label="time window"></select></label>
  <span id="status" data-prometheus="unknown" role="status">connecting…</span>
</header>
<div id="banner" hidden role="alert"></div>
<div id="scrape-banner" hidden role="alert"></div>
<main>
  <section id="nodes-section">
    <h2>Nodes</h2>
    <p id="nodes-summary" class="summary"></p>
    <table id="nodes">
      <thead><tr><th>role</th><th>instance</th><th>state</th><th>last push</th><th>push interval</th><th>push failures</th><th>straggler</th><th>GPU util</th><th>identity</th></tr></thead>
      <tbody></tbody>
    </table>
    <div id="other-groups" hidden>
      <h3>Other groups</h3>
      <p id="other-groups-summary" class="summary"></p>
      <table>
        <thead><tr><th>grouping key</th><th>last push</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
  <div id="panels"></div>
</main>
<footer>Panels are the Grafana dashboards' own (title, PromQL, unit), queried through this server. Heatmaps are in Grafana only.</footer>
</body>
</html>
`;
}

export const PAGE_CSS = `
:root { --fg: #1f2430; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --card: #fff; --bad: #b91c1c; --bad-bg: #fee2e2; --warn: #92400e; --warn-bg: #fef3c7; --ok: #166534; --ok-bg: #dcfce7; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; padding: 10px 18px; background: #111827; color: #f9fafb; position: sticky; top: 0; z-index: 10; }
header h1 { font-size: 16px; margin: 0 8px 0 0; font-weight: 600; }
header label { display: flex; align-items: center; gap: 4px; min-width: 0; white-space: nowrap; }
header select { font: inherit; padding: 2px 4px; min-width: 0; }
/* A select is as wide as its longest option: one long job name anywhere in Prometheus would push the rest of
   the header off-screen. Cut it with an ellipsis; the full name is the picker's and each option's title. */
#job-picker { max-width: min(36em, 50vw); text-overflow: ellipsis; }
#status { margin-left: auto; color: #d1d5db; white-space: nowrap; }
#status[data-prometheus="down"] { color: #fca5a5; font-weight: 600; }
#banner { padding: 8px 18px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
#banner.down { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
#banner.recovered { background: var(--warn-bg); color: var(--warn); }
#scrape-banner { padding: 4px 18px; background: var(--bad-bg); color: var(--bad); border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
#scrape-banner p, #scrape-banner ul { margin: 4px 0; }
#scrape-banner code { background: #fff; padding: 0 3px; border-radius: 3px; white-space: pre-wrap; }
main { padding: 12px 18px 24px; }
h2 { font-size: 14px; margin: 18px 0 8px; font-weight: 600; }
h2 small { color: var(--muted); font-weight: normal; margin-left: 6px; }
h3 { font-size: 13px; margin: 14px 0 6px; font-weight: 600; }
.summary { color: var(--muted); margin: 0 0 6px; overflow-wrap: anywhere; }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); min-width: 60%; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: #f3f4f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
/* Names (the instance column) wrap anywhere rather than widen the table past the window. */
#other-groups td:first-child, #nodes td:nth-child(2) { white-space: normal; overflow-wrap: anywhere; min-width: 10em; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; margin-left: 4px; }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
tr[data-stale="true"] td { color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 10px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-height: 120px; min-width: 0; }
.panel h3 { font-size: 12.5px; margin: 0 0 4px; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.panel h3 small { display: block; color: var(--muted); font-weight: normal; font-size: 11px; text-transform: uppercase; letter-spacing: 0.03em; }
.panel .note { color: var(--muted); font-size: 12px; padding: 16px 0; }
.panel[data-state="error"] .note { color: var(--bad); }
.panel .stats { display: flex; flex-wrap: wrap; gap: 6px 28px; padding: 28px 4px; }
.panel .stat b { display: block; font-size: 34px; line-height: 1.1; font-weight: 600; font-variant-numeric: tabular-nums; color: #1d4ed8; }
.panel .stat span { color: var(--muted); font-size: 12px; }
.panel .uplot { font-family: inherit; }
.panel .u-legend { font-size: 11px; line-height: 14px; text-align: left; max-height: 42px; overflow-y: auto; }
.panel .u-legend .u-marker { width: 10px; height: 3px; }
/* uPlot sizes its box to the legend's widest word: a long series name (an instance) wraps instead. */
.panel .uplot { max-width: 100%; }
.panel .u-legend .u-label { overflow-wrap: anywhere; }
.panel .u-legend th { font-weight: normal; background: none; }
.panel .u-legend td, .panel .u-legend th { border: 0; padding: 0 4px; }
footer { color: var(--muted); padding: 0 18px 18px; }
`;
