// One cell: its editor, its run/cancel controls and its output (Result / Job details / Log tabs).
import { marked } from "marked";
import type { EditorView } from "@codemirror/view";
import { chatCompletion, killJob, runningJobs, runScript, type Cell, type RunOutcome } from "./api";
import { chatSqlScript, conversationScript, parseChat, pythonScript } from "./cells";
import { chartControls, drawChart } from "./chart";
import { h } from "./dom";
import { clearError, createEditor, markError } from "./editor";
import { renderGrid } from "./grid";

export interface CellHost {
  readOnly: boolean;
  changed: () => void;
  runNext: (from: CellView) => void;
  remove: (cell: CellView) => void;
  move: (cell: CellView, by: number) => void;
  addBelow: (cell: CellView) => void;
  runFrom: (cell: CellView) => void;
}

const POLL_MS = 500;

export class CellView {
  readonly root: HTMLElement;
  private editor: EditorView;
  private output = h("div", { class: "output" });
  private running: string | null = null;
  private runButton: HTMLButtonElement;
  private cancelButton: HTMLButtonElement;
  private status = h("span", { class: "cell-status" });

  constructor(public cell: Cell, private host: CellHost) {
    const kind = h(
      "select",
      { class: "cell-kind" },
      ...["byzer", "python", "markdown", "chat"].map((k) => h("option", { value: k, ...(k === cell.kind ? { selected: true } : {}) }, k)),
    );
    kind.addEventListener("change", () => {
      this.cell.kind = kind.value as Cell["kind"];
      this.rebuildEditor();
      host.changed();
    });
    this.runButton = h("button", { class: "run-cell", title: "Run (Ctrl+Enter)", onclick: () => void this.run() }, "▶ Run");
    this.cancelButton = h("button", { class: "cancel-cell", disabled: true, onclick: () => void this.cancel() }, "■ Cancel");
    const toolbar = h(
      "div",
      { class: "cell-toolbar" },
      kind,
      this.runButton,
      this.cancelButton,
      h("button", { class: "run-from", onclick: () => host.runFrom(this) }, "Run from here"),
      h("button", { class: "move-up", onclick: () => host.move(this, -1) }, "↑"),
      h("button", { class: "move-down", onclick: () => host.move(this, 1) }, "↓"),
      h("button", { class: "add-below", onclick: () => host.addBelow(this) }, "+ Cell"),
      h("button", { class: "delete-cell", onclick: () => host.remove(this) }, "Delete"),
      this.status,
    );
    const editorBox = h("div", { class: "editor" });
    this.root = h("div", { class: `cell cell-${cell.kind}` }, toolbar, editorBox, this.output);
    this.editor = this.makeEditor(editorBox);
  }

  private makeEditor(parent: HTMLElement): EditorView {
    return createEditor(parent, {
      kind: this.cell.kind,
      doc: this.cell.source,
      readOnly: false,
      onChange: (text) => {
        this.cell.source = text;
        this.host.changed();
      },
      onRun: () => void this.run(),
      onRunAndNext: () => void this.run().then(() => this.host.runNext(this)),
    });
  }

  private rebuildEditor(): void {
    const parent = this.editor.dom.parentElement as HTMLElement;
    this.editor.destroy();
    this.root.className = `cell cell-${this.cell.kind}`;
    this.editor = this.makeEditor(parent);
  }

  focus(): void {
    this.editor.focus();
  }

  /** Runs the cell; resolves true when it succeeded. */
  async run(): Promise<boolean> {
    if (this.running) return false;
    clearError(this.editor);
    if (this.cell.kind === "markdown") {
      this.output.replaceChildren(h("div", { class: "markdown" }));
      (this.output.firstChild as HTMLElement).innerHTML = await marked.parse(this.cell.source);
      return true;
    }
    const jobName = `nb-${crypto.randomUUID()}`;
    this.running = jobName;
    this.setBusy(true);
    const progress = h("pre", { class: "job-progress" }, `job ${jobName}: submitted`);
    this.showTabs(h("div", { class: "running" }, "Running…"), progress, h("pre", { class: "log" }, ""), "job");
    const poll = setInterval(async () => {
      const job = (await runningJobs()).find((j) => j.jobName === jobName);
      if (job && this.running === jobName) progress.textContent = `job ${jobName}: ${job.status ?? "running"}, progress ${job.progress} Spark jobs`;
    }, POLL_MS);
    let outcome: RunOutcome;
    let offset = 0;
    try {
      if (this.cell.kind === "chat") outcome = await this.runChat(jobName);
      else {
        const { script, lineOffset } = this.cell.kind === "python" ? pythonScript(this.cell.source) : { script: this.cell.source, lineOffset: 0 };
        offset = lineOffset;
        outcome = await runScript(script, jobName);
      }
    } catch (err) {
      outcome = { ok: false, status: 0, rows: [], fields: [], elapsedMs: 0, messages: [], error: { kind: "error", message: (err as Error).message } };
    } finally {
      clearInterval(poll);
      this.running = null;
      this.setBusy(false);
    }
    this.show(outcome, jobName, offset);
    this.host.changed();
    return outcome.ok;
  }

  private async runChat(jobName: string): Promise<RunOutcome> {
    const spec = parseChat(this.cell.source);
    const history = this.cell.history ?? [];
    let outcome: RunOutcome;
    if (spec.via === "openai") {
      const messages = [...(spec.systemMsg ? [{ role: "system", content: spec.systemMsg }] : []), ...history, { role: "user", content: spec.message }];
      const answer = await chatCompletion(spec.model, messages, spec.maxLength);
      const turns = [...history, { role: "user", content: spec.message }, { role: "assistant", content: answer }];
      outcome = await runScript(conversationScript(spec, turns), jobName);
    } else outcome = await runScript(chatSqlScript(spec, history), jobName);
    if (outcome.ok && outcome.rows.length) {
      const answer = String(outcome.rows[outcome.rows.length - 1].content ?? "");
      this.cell.history = [...history, { role: "user", content: spec.message }, { role: "assistant", content: answer }];
    }
    return outcome;
  }

  async cancel(): Promise<void> {
    if (this.running) await killJob(this.running);
  }

  private setBusy(busy: boolean): void {
    this.runButton.disabled = busy;
    this.cancelButton.disabled = !busy;
    this.status.textContent = busy ? "running" : "";
    this.root.classList.toggle("busy", busy);
  }

  private showTabs(result: HTMLElement, job: HTMLElement, log: HTMLElement, active = "result"): void {
    const panes: Record<string, HTMLElement> = { result, job, log };
    const labels: Record<string, string> = { result: "Result", job: "Job details", log: "Log" };
    const tabs = h("div", { class: "tabs" });
    const body = h("div", { class: "tab-body" });
    const select = (name: string) => {
      for (const b of Array.from(tabs.children)) b.classList.toggle("active", (b as HTMLElement).dataset.tab === name);
      body.replaceChildren(panes[name]);
    };
    for (const name of Object.keys(panes)) tabs.append(h("button", { class: `tab tab-${name}`, "data-tab": name, onclick: () => select(name) }, labels[name]));
    this.output.replaceChildren(tabs, body);
    select(active);
  }

  private show(outcome: RunOutcome, jobName: string, lineOffset: number): void {
    const log = h("pre", { class: "log" }, [...outcome.messages, `HTTP ${outcome.status} in ${outcome.elapsedMs} ms`].join("\n"));
    const job = h("pre", { class: "job-details" }, `job ${jobName}\nstatus: ${outcome.ok ? "succeeded" : outcome.error?.kind}\nelapsed: ${outcome.elapsedMs} ms`);
    if (!outcome.ok) {
      const error = outcome.error!;
      const line = error.line ? error.line - lineOffset : null;
      const where = line ? ` at line ${line}, column ${error.column ?? 1}` : "";
      const pane = h(
        "div",
        { class: "error", "data-line": String(line ?? ""), "data-column": String(error.column ?? "") },
        h("strong", {}, `${error.kind}${where}`),
        h("pre", {}, error.message),
        error.line_text ? h("pre", { class: "line-text" }, `${error.line_text}\n${" ".repeat(Math.max((error.column ?? 1) - 1, 0))}^`) : null,
      );
      if (line) markError(this.editor, line, error.column, error.message);
      this.showTabs(pane, job, log);
      return;
    }
    const grid = renderGrid(outcome.rows, outcome.fields, outcome.elapsedMs, "result");
    const chartBox = h("div", { class: "chart" });
    const controlsBox = h("div", {});
    const setChart = (chart: Cell["chart"]) => {
      this.cell.chart = chart;
      this.host.changed();
      controlsBox.replaceChildren(chart ? chartControls(outcome.fields, chart, setChart) : h("span"));
      if (chart) void drawChart(chartBox, chart, outcome.rows);
      else chartBox.replaceChildren();
    };
    const chartButton = h("button", { class: "make-chart", onclick: () => setChart(this.cell.chart ?? { type: "bar", x: outcome.fields[0]?.name ?? "", y: outcome.fields[1]?.name ?? outcome.fields[0]?.name ?? "", color: "" }) }, "Chart");
    const result = h("div", { class: "result" }, outcome.fields.length ? chartButton : null, controlsBox, chartBox, outcome.fields.length ? grid : h("em", {}, "no table"));
    this.showTabs(result, job, log);
    if (this.cell.chart && outcome.fields.length) setChart(this.cell.chart);
  }
}
