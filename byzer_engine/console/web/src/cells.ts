// What each kind of cell sends to the server, and the .byzer script format of a notebook.
import type { Cell, ChatMessage } from "./api";

export interface CellScript {
  script: string;
  lineOffset: number; // lines added before the cell's own first line
}

export function sqlString(text: string): string {
  return "'" + text.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n") + "'";
}

/** A Python cell as the Byzer-python notebook form (`#%python` header lines, then the code). */
export function pythonScript(source: string): CellScript {
  const first = source.split("\n").find((line) => line.trim() !== "") ?? "";
  if (first.trim().toLowerCase() === "#%python") return { script: source, lineOffset: 0 };
  return { script: "#%python\n" + source, lineOffset: 1 };
}

export interface ChatSpec {
  model: string;
  systemMsg: string;
  userRole: string;
  assistantRole: string;
  output: string;
  maxLength: number;
  via: "sql" | "openai";
  message: string;
}

/** Byzer Notebook's chat directives: `--%chat`, `--%model=`, `--%system_msg=`, `--%user_role=`,
 * `--%assistant_role=`, `--%output=`, plus `--%max_length=` and `--%via=openai`. */
export function parseChat(source: string): ChatSpec {
  const spec: ChatSpec = {
    model: "chat",
    systemMsg: "",
    userRole: "user",
    assistantRole: "assistant",
    output: "chat_conversation",
    maxLength: 64,
    via: "sql",
    message: "",
  };
  const text: string[] = [];
  for (const line of source.split("\n")) {
    const m = /^\s*--%([A-Za-z_]+)(?:=(.*))?$/.exec(line);
    if (!m) {
      text.push(line);
      continue;
    }
    const [, key, raw] = m;
    const value = (raw ?? "").trim();
    if (key === "model") spec.model = value;
    else if (key === "system_msg") spec.systemMsg = value;
    else if (key === "user_role") spec.userRole = value;
    else if (key === "assistant_role") spec.assistantRole = value;
    else if (key === "output") spec.output = value;
    else if (key === "max_length") spec.maxLength = Number(value) || spec.maxLength;
    else if (key === "via") spec.via = value === "openai" ? "openai" : "sql";
  }
  spec.message = text.join("\n").trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.model)) throw new Error(`--%model: not a function name: ${spec.model}`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.output)) throw new Error(`--%output: not a table name: ${spec.output}`);
  if (!spec.message) throw new Error("a chat cell needs a message after its --% lines");
  return spec;
}

function conversationRows(spec: ChatSpec, turns: ChatMessage[]): string[] {
  return turns.map((turn, index) => {
    const role = turn.role === "user" ? spec.userRole : spec.assistantRole;
    return `select ${index} as turn, ${sqlString(role)} as role, ${sqlString(turn.content)} as content`;
  });
}

/** The script of a chat turn over SQL: the model answers in a SELECT, and the conversation so far
 * plus this turn becomes the table `--%output`. */
export function chatSqlScript(spec: ChatSpec, history: ChatMessage[]): string {
  const params = [
    `"instruction", ${sqlString(spec.message)}`,
    `"max_length", "${spec.maxLength}"`,
    `"temperature", "0"`,
  ];
  if (spec.systemMsg) params.push(`"system_msg", ${sqlString(spec.systemMsg)}`);
  if (history.length) params.push(`"history", ${sqlString(JSON.stringify(history))}`);
  const reply = `${spec.output}_reply`;
  const rows = conversationRows(spec, [...history, { role: "user", content: spec.message }]);
  const n = history.length + 1;
  rows.push(`select ${n} as turn, ${sqlString(spec.assistantRole)} as role, content from ${reply}`);
  return (
    `select llm_response_predict(${spec.model}(llm_param(map(${params.join(", ")})))) as content as ${reply};\n` +
    `select * from (${rows.join("\nunion all ")}) as conversation order by turn as ${spec.output};`
  );
}

/** The conversation table alone (for `--%via=openai`, whose answer came from /v1/chat/completions). */
export function conversationScript(spec: ChatSpec, turns: ChatMessage[]): string {
  return `select * from (${conversationRows(spec, turns).join("\nunion all ")}) as conversation order by turn as ${spec.output};`;
}

// -- the .byzer format ----------------------------------------------------------------------
// Cells are separated by `-- %% KIND` lines; cells other than Byzer are kept as `-- ` comment lines,
// so an exported file is still a Byzer script that runs the notebook's Byzer cells.
const MARK = /^-- %% (byzer|python|markdown|chat)\s*$/;

export function toByzerScript(cells: Cell[]): string {
  return cells
    .map((cell) => {
      const body = cell.kind === "byzer" ? cell.source : cell.source.split("\n").map((l) => "-- " + l).join("\n");
      return `-- %% ${cell.kind}\n${body}`;
    })
    .join("\n\n") + "\n";
}

export function fromByzerScript(text: string): Cell[] {
  const cells: Cell[] = [];
  let current: Cell | null = null;
  let lines: string[] = [];
  const close = () => {
    if (current === null && !lines.some((l) => l.trim())) return;
    const kind = current?.kind ?? "byzer";
    const body = kind === "byzer" ? lines : lines.map((l) => l.replace(/^-- ?/, ""));
    while (body.length && body[body.length - 1].trim() === "") body.pop();
    cells.push({ kind, source: body.join("\n") });
  };
  for (const line of text.replace(/\r\n/g, "\n").split("\n")) {
    const m = MARK.exec(line);
    if (m) {
      close();
      current = { kind: m[1] as Cell["kind"], source: "" };
      lines = [];
    } else lines.push(line);
  }
  close();
  return cells;
}
