// The schema browser: the owner's tables (columns, types), deployed models, ETs and their parameters.
import { runScript } from "./api";
import { h } from "./dom";
import { vocabulary } from "./editor";

const MAX_TABLES = 40;

function jobName(what: string): string {
  return `console-schema-${what}-${crypto.randomUUID().slice(0, 8)}`;
}

async function rows(script: string, what: string): Promise<Record<string, unknown>[]> {
  const outcome = await runScript(script, jobName(what));
  return outcome.ok ? outcome.rows : [];
}

export interface Schema {
  tables: Record<string, { name: string; type: string }[]>;
  models: string[];
  ets: string[];
}

export async function loadSchema(): Promise<Schema> {
  const tableNames = (await rows("!show tables;", "tables"))
    .map((r) => String(r.name))
    .filter((n) => !n.startsWith("__"))
    .slice(0, MAX_TABLES);
  const tables: Schema["tables"] = {};
  for (const name of tableNames) {
    const cols = await rows(`!desc \`${name}\`;`, "desc");
    tables[name] = cols.map((c) => ({ name: String(c.col_name), type: String(c.data_type) }));
  }
  const models = (await rows("!byzerllm model list;", "models")).map((r) => String(r.name));
  const ets = (await rows("!show et;", "et")).map((r) => String(r.name));
  vocabulary.tables = Object.fromEntries(Object.entries(tables).map(([t, cols]) => [t, cols.map((c) => c.name)]));
  vocabulary.functions = models;
  vocabulary.ets = ets;
  return { tables, models, ets };
}

export async function etParams(name: string): Promise<Record<string, unknown>[]> {
  return rows(`load modelParams.\`${name}\` as __console_et_params__;`, "params");
}

export function renderSchema(schema: Schema): HTMLElement {
  const tables = Object.entries(schema.tables).map(([name, cols]) =>
    h(
      "details",
      { class: "schema-table", "data-table": name },
      h("summary", {}, name),
      h("ul", {}, ...cols.map((c) => h("li", { class: "schema-column" }, `${c.name}: ${c.type}`))),
    ),
  );
  const ets = schema.ets.map((name) => {
    const list = h("ul", {});
    const details = h("details", { class: "schema-et" }, h("summary", {}, name), list);
    details.addEventListener("toggle", async () => {
      if (!details.open || list.childElementCount) return;
      const params = await etParams(name);
      list.replaceChildren(...params.map((p) => h("li", {}, `${p.param}${p.required ? " (required)" : ""}: ${p.description ?? ""}`)));
    });
    return details;
  });
  return h(
    "div",
    { class: "schema" },
    h("h4", {}, `Tables (${tables.length})`),
    ...tables,
    h("h4", {}, `Models and functions (${schema.models.length})`),
    h("ul", { class: "schema-models" }, ...schema.models.map((m) => h("li", {}, m))),
    h("details", {}, h("summary", {}, `ETs (${schema.ets.length})`), ...ets),
  );
}
