// Charts of a result with Vega-Lite (loaded on first use, so the first page load stays small).
import type { Chart, Field } from "./api";
import { h } from "./dom";

export const CHART_TYPES = ["bar", "line", "area", "pie", "scatter"];

function fieldType(rows: Record<string, unknown>[], name: string): "quantitative" | "nominal" {
  return rows.length > 0 && rows.every((r) => typeof r[name] === "number" || r[name] === null) ? "quantitative" : "nominal";
}

export function spec(chart: Chart, rows: Record<string, unknown>[]): Record<string, unknown> {
  const x = { field: chart.x, type: chart.type === "bar" ? "nominal" : fieldType(rows, chart.x) };
  const y = { field: chart.y, type: fieldType(rows, chart.y) };
  const color = chart.color ? { color: { field: chart.color, type: "nominal" } } : {};
  const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", data: { values: rows }, width: 420, height: 220 };
  if (chart.type === "pie") {
    return { ...base, mark: { type: "arc" }, encoding: { theta: { ...y, type: "quantitative" }, color: { field: chart.color || chart.x, type: "nominal" } } };
  }
  const mark = chart.type === "scatter" ? "point" : chart.type;
  return { ...base, mark: { type: mark, tooltip: true }, encoding: { x, y, ...color } };
}

export async function drawChart(target: HTMLElement, chart: Chart, rows: Record<string, unknown>[]): Promise<void> {
  const { default: embed } = await import("vega-embed");
  target.replaceChildren();
  await embed(target, spec(chart, rows) as never, { actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg" });
}

/** The chart picker: type, x, y and colour; calls ``onChange`` with the choice (null: no chart). */
export function chartControls(fields: Field[], current: Chart | null | undefined, onChange: (chart: Chart | null) => void): HTMLElement {
  const names = fields.map((f) => f.name);
  const select = (cls: string, values: string[], value: string, blank = false) =>
    h("select", { class: cls }, ...(blank ? [h("option", { value: "" }, "(none)")] : []), ...values.map((v) => h("option", { value: v, ...(v === value ? { selected: true } : {}) }, v)));
  const chart: Chart = current ?? { type: "bar", x: names[0] ?? "", y: names[1] ?? names[0] ?? "", color: "" };
  const type = select("chart-type", CHART_TYPES, chart.type);
  const x = select("chart-x", names, chart.x);
  const y = select("chart-y", names, chart.y);
  const color = select("chart-color", names, chart.color, true);
  const read = (): Chart => ({ type: type.value, x: x.value, y: y.value, color: color.value });
  for (const el of [type, x, y, color]) el.addEventListener("change", () => onChange(read()));
  return h(
    "div",
    { class: "chart-controls" },
    "Chart ", type, " x ", x, " y ", y, " colour ", color,
    h("button", { class: "chart-remove", onclick: () => onChange(null) }, "Remove chart"),
  );
}
