// Byzer Notebook: login, the notebook list and examples, the open notebook, schema and copilot.
import "./style.css";
import { checkLogin, currentLogin, models, notebooks, setLogin, type Cell, type Notebook } from "./api";
import { CellView, type CellHost } from "./cell";
import { fromByzerScript, toByzerScript } from "./cells";
import { askCopilot } from "./copilot";
import { download, h } from "./dom";
import { loadSchema, renderSchema, type Schema } from "./schema";

const app = document.getElementById("app") as HTMLElement;
const SAVE_DELAY_MS = 600;

let schema: Schema = { tables: {}, models: [], ets: [] };
let open: { notebook: Notebook; views: CellView[]; saveTimer?: number } | null = null;

function showLogin(message = ""): void {
  const token = h("input", { id: "login-token", type: "password", placeholder: "server token" });
  const owner = h("input", { id: "login-owner", placeholder: "owner name", value: sessionStorage.getItem("byzer.owner") ?? "" });
  const error = h("div", { class: "login-error" }, message);
  const submit = async (event: Event) => {
    event.preventDefault();
    const login = { token: token.value.trim(), owner: owner.value.trim() };
    const problem = await checkLogin(login);
    if (problem) {
      error.textContent = problem;
      return;
    }
    sessionStorage.setItem("byzer.token", login.token);
    sessionStorage.setItem("byzer.owner", login.owner);
    void showMain();
  };
  app.replaceChildren(
    h("form", { class: "login", onsubmit: submit }, h("h1", {}, "Byzer Notebook"), token, owner, h("button", { id: "login-submit", type: "submit" }, "Log in"), error),
  );
}

const sidebar = h("aside", { class: "sidebar" });
const main = h("main", { class: "notebook" });
const schemaBox = h("div", { class: "schema-box" });
const copilotBox = h("div", { class: "copilot" });

async function showMain(): Promise<void> {
  const logout = h("button", { id: "logout", onclick: () => { sessionStorage.removeItem("byzer.token"); showLogin(); } }, "Log out");
  app.replaceChildren(
    h("header", {}, h("h1", {}, "Byzer Notebook"), h("span", { class: "owner" }, `owner: ${currentLogin().owner}`), logout),
    h("div", { class: "layout" }, sidebar, main, h("aside", { class: "right" }, copilotBox, schemaBox)),
  );
  main.replaceChildren(h("p", { class: "hint" }, "Open or create a notebook."));
  await refreshSidebar();
  renderCopilot();
  void refreshSchema();
}

async function refreshSidebar(): Promise<void> {
  const [mine, examples] = await Promise.all([notebooks.list(), notebooks.examples()]);
  const name = h("input", { id: "new-notebook-name", placeholder: "new notebook name" });
  const create = async () => {
    if (!name.value.trim()) return;
    try {
      await notebooks.create(name.value.trim(), [{ kind: "byzer", source: "" }]);
      await refreshSidebar();
      await openNotebook(name.value.trim(), false);
    } catch (err) {
      alertBox((err as Error).message);
    }
  };
  const file = h("input", { id: "import-file", type: "file", accept: ".byzer,.json" });
  file.addEventListener("change", () => void importFile(file));
  sidebar.replaceChildren(
    h("h3", {}, "Notebooks"),
    h("div", { class: "new" }, name, h("button", { id: "create-notebook", onclick: create }, "Create")),
    h("label", { class: "import" }, "Import .byzer / .json ", file),
    h("ul", { class: "notebook-list" }, ...mine.map((n) => h("li", {}, h("a", { href: "#", class: "notebook-link", "data-name": n, onclick: (e: Event) => { e.preventDefault(); void openNotebook(n, false); } }, n)))),
    h("h3", {}, "Examples"),
    h("ul", { class: "example-list" }, ...examples.map((n) => h("li", {}, h("a", { href: "#", class: "example-link", "data-name": n, onclick: (e: Event) => { e.preventDefault(); void openNotebook(n, true); } }, n)))),
  );
}

function alertBox(message: string): void {
  main.prepend(h("div", { class: "alert" }, message));
}

async function importFile(input: HTMLInputElement): Promise<void> {
  const file = input.files?.[0];
  if (!file) return;
  const text = await file.text();
  const base = file.name.replace(/\.(byzer|json)$/i, "").replace(/[^A-Za-z0-9 _.-]/g, "_");
  let cells: Cell[];
  try {
    cells = file.name.toLowerCase().endsWith(".json") ? (JSON.parse(text).cells as Cell[]) : fromByzerScript(text);
    await notebooks.save(base, cells);
  } catch (err) {
    alertBox(`import failed: ${(err as Error).message}`);
    return;
  }
  input.value = "";
  await refreshSidebar();
  await openNotebook(base, false);
}

function save(): void {
  if (!open || open.notebook.readOnly) return;
  window.clearTimeout(open.saveTimer);
  const current = open;
  current.saveTimer = window.setTimeout(() => {
    void notebooks.save(current.notebook.name, current.notebook.cells).catch((err) => alertBox((err as Error).message));
  }, SAVE_DELAY_MS);
}

async function flush(): Promise<void> {
  if (!open || open.notebook.readOnly) return;
  window.clearTimeout(open.saveTimer);
  await notebooks.save(open.notebook.name, open.notebook.cells);
}

async function runAll(from = 0): Promise<void> {
  if (!open) return;
  for (const view of open.views.slice(from)) {
    if (!(await view.run())) break;
  }
}

function host(readOnly: boolean): CellHost {
  return {
    readOnly,
    changed: save,
    runNext: (cell) => {
      if (!open) return;
      const index = open.views.indexOf(cell);
      if (index === open.views.length - 1) addCell(index + 1);
      else open.views[index + 1].focus();
    },
    remove: (cell) => {
      if (!open) return;
      const index = open.views.indexOf(cell);
      open.views.splice(index, 1);
      open.notebook.cells.splice(index, 1);
      cell.root.remove();
      save();
    },
    move: (cell, by) => {
      if (!open) return;
      const index = open.views.indexOf(cell);
      const target = index + by;
      if (target < 0 || target >= open.views.length) return;
      [open.views[index], open.views[target]] = [open.views[target], open.views[index]];
      [open.notebook.cells[index], open.notebook.cells[target]] = [open.notebook.cells[target], open.notebook.cells[index]];
      drawCells();
      save();
    },
    addBelow: (cell) => open && addCell(open.views.indexOf(cell) + 1),
    runFrom: (cell) => open && void runAll(open.views.indexOf(cell)),
  };
}

const cellsBox = h("div", { class: "cells" });

function drawCells(): void {
  if (open) cellsBox.replaceChildren(...open.views.map((v) => v.root));
}

export function addCell(index: number, cell: Cell = { kind: "byzer", source: "" }): CellView | null {
  if (!open) return null;
  const view = new CellView(cell, host(Boolean(open.notebook.readOnly)));
  open.notebook.cells.splice(index, 0, cell);
  open.views.splice(index, 0, view);
  drawCells();
  view.focus();
  save();
  return view;
}

async function openNotebook(name: string, example: boolean): Promise<void> {
  await flush().catch(() => undefined);
  const notebook = example ? await notebooks.example(name) : await notebooks.read(name);
  open = { notebook, views: [] };
  open.views = notebook.cells.map((cell) => new CellView(cell, host(Boolean(notebook.readOnly))));
  const title = h("input", { id: "notebook-name", value: name, disabled: Boolean(notebook.readOnly) });
  const action = (id: string, label: string, fn: () => Promise<void> | void) => h("button", { id, onclick: () => void Promise.resolve(fn()).catch((e) => alertBox((e as Error).message)) }, label);
  const buttons = notebook.readOnly
    ? [
        h("span", { class: "read-only" }, "Example (read-only)"),
        action("save-copy", "Save a copy", async () => {
          await notebooks.create(`${name} copy`.replace(/[^A-Za-z0-9 _.-]/g, "_"), notebook.cells);
          await refreshSidebar();
        }),
      ]
    : [
        action("rename-notebook", "Rename", async () => {
          await flush();
          await notebooks.rename(name, title.value.trim());
          open = null;
          await refreshSidebar();
          await openNotebook(title.value.trim(), false);
        }),
        action("duplicate-notebook", "Duplicate", async () => {
          await flush();
          await notebooks.duplicate(name, `${name} copy`);
          await refreshSidebar();
        }),
        action("delete-notebook", "Delete", async () => {
          await notebooks.remove(name);
          open = null;
          main.replaceChildren(h("p", { class: "hint" }, `Deleted ${name}.`));
          await refreshSidebar();
        }),
      ];
  main.replaceChildren(
    h(
      "div",
      { class: "notebook-toolbar" },
      title,
      ...buttons,
      action("run-all", "Run all", () => runAll()),
      action("add-cell", "+ Cell", () => void addCell(open?.views.length ?? 0)),
      action("export-byzer", "Export .byzer", () => download(`${name}.byzer`, "text/plain", toByzerScript(notebook.cells))),
      action("export-json", "Export JSON", () => download(`${name}.json`, "application/json", JSON.stringify({ name, cells: notebook.cells }, null, 1))),
      action("refresh-schema", "Refresh schema", () => refreshSchema()),
    ),
    cellsBox,
  );
  drawCells();
}

async function refreshSchema(): Promise<void> {
  schema = await loadSchema();
  schemaBox.replaceChildren(h("h3", {}, "Schema"), renderSchema(schema));
  renderCopilot();
}

function renderCopilot(): void {
  const question = h("textarea", { id: "copilot-question", placeholder: "Ask for a query…", rows: 3 });
  const tables = Object.keys(schema.tables).map((t) => h("label", { class: "copilot-table" }, h("input", { type: "checkbox", value: t }), t));
  const samples = h("input", { id: "copilot-samples", type: "checkbox" });
  const model = h("select", { id: "copilot-model" });
  const status = h("div", { class: "copilot-status" });
  void models().then((names) => {
    const all = names.length ? names : ["chat"];
    model.replaceChildren(...all.map((n) => h("option", { value: n, ...(n === "chat" ? { selected: true } : {}) }, n)));
  });
  const ask = async () => {
    if (!open) return void (status.textContent = "open a notebook first");
    const chosen = tables.map((l) => l.querySelector("input") as HTMLInputElement).filter((i) => i.checked).map((i) => i.value);
    status.textContent = "asking the model…";
    try {
      const picked = Object.fromEntries(chosen.map((t) => [t, schema.tables[t]]));
      const reply = await askCopilot({ question: question.value, tables: picked, sampleRows: samples.checked, model: model.value || "chat" });
      addCell(open.views.length, { kind: "byzer", source: reply.cell });
      status.textContent = "a new cell was added (not run)";
    } catch (err) {
      status.textContent = `copilot failed: ${(err as Error).message}`;
    }
  };
  copilotBox.replaceChildren(
    h("h3", {}, "Copilot"),
    question,
    h("div", { class: "copilot-tables" }, ...tables),
    h("label", {}, samples, " include 3 sample rows"),
    h("div", {}, "model ", model),
    h("button", { id: "copilot-ask", onclick: () => void ask() }, "Propose a query"),
    status,
  );
}

const saved = { token: sessionStorage.getItem("byzer.token"), owner: sessionStorage.getItem("byzer.owner") };
if (saved.token !== null && saved.owner) {
  setLogin({ token: saved.token, owner: saved.owner });
  void checkLogin({ token: saved.token, owner: saved.owner }).then((problem) => (problem ? showLogin(problem) : showMain()));
} else showLogin();
