// The result grid: paging, sorting by a column, row count, elapsed time, CSV and JSON downloads.
import type { Field } from "./api";
import { download, h } from "./dom";

export const PAGE_SIZE = 10;

function text(value: unknown): string {
  if (value === null || value === undefined) return "null";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return text(a).localeCompare(text(b), undefined, { numeric: true });
}

export function toCsv(fields: string[], rows: Record<string, unknown>[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [fields.map(quote).join(",")];
  for (const row of rows) lines.push(fields.map((f) => (row[f] === null || row[f] === undefined ? "" : quote(text(row[f])))).join(","));
  return lines.join("\n") + "\n";
}

export function renderGrid(rows: Record<string, unknown>[], fields: Field[], elapsedMs: number, name: string): HTMLElement {
  const names = fields.map((f) => f.name);
  let sortKey: string | null = null;
  let descending = false;
  let page = 0;
  const root = h("div", { class: "grid" });

  const draw = () => {
    const sorted = sortKey === null ? rows : [...rows].sort((a, b) => (descending ? -1 : 1) * compare(a[sortKey!], b[sortKey!]));
    const pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const shown = sorted.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    const header = h(
      "tr",
      {},
      ...names.map((n) =>
        h(
          "th",
          {
            class: "sortable",
            "data-column": n,
            onclick: () => {
              descending = sortKey === n ? !descending : false;
              sortKey = n;
              draw();
            },
          },
          n + (sortKey === n ? (descending ? " ▼" : " ▲") : ""),
        ),
      ),
    );
    const body = shown.map((row) => h("tr", {}, ...names.map((n) => h("td", {}, text(row[n])))));
    const pager = h(
      "div",
      { class: "pager" },
      h("button", { class: "prev-page", disabled: page === 0, onclick: () => { page -= 1; draw(); } }, "‹ Prev"),
      h("span", { class: "page-info" }, `Page ${page + 1} of ${pages}`),
      h("button", { class: "next-page", disabled: page >= pages - 1, onclick: () => { page += 1; draw(); } }, "Next ›"),
      h("span", { class: "row-count" }, `${rows.length} rows`),
      h("span", { class: "elapsed" }, `${elapsedMs} ms`),
      h("button", { class: "download-csv", onclick: () => download(`${name}.csv`, "text/csv", toCsv(names, sorted)) }, "CSV"),
      h("button", { class: "download-json", onclick: () => download(`${name}.json`, "application/json", JSON.stringify(sorted, null, 1)) }, "JSON"),
    );
    root.replaceChildren(h("table", {}, h("thead", {}, header), h("tbody", {}, ...body)), pager);
  };
  draw();
  return root;
}
