/**
 * Renders vega-lite specs to SVG (vega's own SVG renderer) and PNG (resvg, with the DejaVu Sans
 * font shipped in assets/fonts so labels look the same on every machine, fonts installed or not),
 * and the self-contained report.html.
 */
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

const FONT_FILE = fileURLToPath(new URL('../assets/fonts/DejaVuSans.ttf', import.meta.url));

export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at 2× for sharp text; white background (SVG is transparent). */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A single HTML file: question, expectation, summary table, every figure inline as SVG. */
export function reportHtml(parts: { title: string; question: string; expect: string; summaryMarkdown: string; tables?: { title: string; markdown: string }[]; figures: { title: string; svg: string }[]; configJson: string }): string {
  // Lines under the summary table (the energy footnote) are kept as paragraphs.
  const notes = parts.summaryMarkdown.split('\n').filter((l) => l.trim() && !l.startsWith('|')).map((l) => `<p>${escapeHtml(l)}</p>`).join('\n');
  const table = markdownTableToHtml(parts.summaryMarkdown) + notes + (parts.tables ?? []).map((t) => `<h2>${escapeHtml(t.title)}</h2>${markdownTableToHtml(t.markdown)}`).join('\n');
  const figures = parts.figures.map((f) => `<figure><figcaption>${escapeHtml(f.title)}</figcaption>${f.svg}</figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(parts.title)}</title>
<style>body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:2em 0}figcaption{font-weight:bold;margin-bottom:.5em}
details pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>
<h1>${escapeHtml(parts.title)}</h1>
<p><b>Question.</b> ${escapeHtml(parts.question)}</p>
<p><b>Expected.</b> ${escapeHtml(parts.expect)}</p>
${table}
${figures}
<details><summary>Resolved configuration</summary><pre>${escapeHtml(parts.configJson)}</pre></details>
</body></html>
`;
}

function markdownTableToHtml(md: string): string {
  const lines = md.trim().split('\n').filter((l) => l.startsWith('|'));
  if (lines.length < 2) return '';
  const cells = (l: string) => l.slice(1, -1).split('|').map((c) => escapeHtml(c.trim()));
  const head = cells(lines[0]!).map((c) => `<th>${c}</th>`).join('');
  const body = lines.slice(2).map((l) => `<tr>${cells(l).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
