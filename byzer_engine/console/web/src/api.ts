// The HTTP API the console uses: the server's own routes, as any client calls them.

export interface Login {
  token: string;
  owner: string;
}

export interface Field {
  name: string;
  type: unknown;
}

export interface ScriptError {
  kind: string;
  message: string;
  line?: number | null;
  column?: number | null;
  line_text?: string | null;
  statement?: string | null;
}

export interface RunOutcome {
  ok: boolean;
  status: number;
  rows: Record<string, unknown>[];
  fields: Field[];
  error?: ScriptError;
  elapsedMs: number;
  messages: string[];
}

let login: Login = { token: "", owner: "" };

export function setLogin(value: Login): void {
  login = value;
}

export function currentLogin(): Login {
  return login;
}

function headers(json = false): Record<string, string> {
  const out: Record<string, string> = {};
  if (login.token) out["Authorization"] = `Bearer ${login.token}`;
  if (json) out["Content-Type"] = "application/json";
  return out;
}

async function errorOf(response: Response): Promise<ScriptError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === "string") return body as ScriptError;
    if (body && body.error && typeof body.error.message === "string")
      return { kind: body.error.type ?? "error", message: body.error.message };
  } catch {
    /* not JSON */
  }
  return { kind: `HTTP ${response.status}`, message: text || response.statusText };
}

export async function runScript(sql: string, jobName: string, outputSize = 5000): Promise<RunOutcome> {
  const started = performance.now();
  const response = await fetch("/run/script", {
    method: "POST",
    headers: headers(true),
    body: JSON.stringify({ sql, owner: login.owner, jobName, jobType: "notebook", includeSchema: true, outputSize }),
  });
  const elapsedMs = Math.round(performance.now() - started);
  if (!response.ok) {
    const error = await errorOf(response);
    return { ok: false, status: response.status, rows: [], fields: [], error, elapsedMs, messages: [] };
  }
  let messages: string[] = [];
  try {
    messages = JSON.parse(response.headers.get("X-Byzer-Messages") ?? "[]");
  } catch {
    messages = [];
  }
  const body = await response.json();
  const rows = Array.isArray(body) ? body : (body.data ?? []);
  const fields: Field[] = body.schema?.fields ?? (rows[0] ? Object.keys(rows[0]).map((name) => ({ name, type: "" })) : []);
  return { ok: true, status: response.status, rows, fields, elapsedMs, messages };
}

export async function killJob(jobName: string): Promise<boolean> {
  const form = new URLSearchParams({ jobName });
  const response = await fetch("/killjob", { method: "POST", headers: headers(), body: form });
  if (!response.ok) return false;
  const body = await response.json();
  return Boolean(body.killed);
}

export interface RunningJob {
  jobName: string;
  progress: string;
  startTime: unknown;
  status?: string;
  owner: string;
}

export async function runningJobs(): Promise<RunningJob[]> {
  const response = await fetch("/runningjobs", { headers: headers() });
  if (!response.ok) return [];
  const body = await response.json();
  return Object.values(body) as RunningJob[];
}

export interface ChatMessage {
  role: string;
  content: string;
}

export async function chatCompletion(model: string, messages: ChatMessage[], maxTokens: number): Promise<string> {
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    headers: headers(true),
    body: JSON.stringify({ model, messages, max_tokens: maxTokens, temperature: 0 }),
  });
  if (!response.ok) throw new Error((await errorOf(response)).message);
  const body = await response.json();
  return String(body.choices?.[0]?.message?.content ?? "");
}

export async function models(): Promise<string[]> {
  const response = await fetch("/v1/models", { headers: headers() });
  if (!response.ok) return [];
  const body = await response.json();
  return (body.data ?? []).map((m: { id: string }) => m.id);
}

// -- notebooks --------------------------------------------------------------------------------

export interface Chart {
  type: string;
  x: string;
  y: string;
  color: string;
}

export interface Cell {
  kind: "byzer" | "python" | "markdown" | "chat";
  source: string;
  chart?: Chart | null;
  history?: ChatMessage[];
}

export interface Notebook {
  name: string;
  cells: Cell[];
  readOnly?: boolean;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const sep = path.includes("?") ? "&" : "?";
  const url = `/console/api${path}${sep}owner=${encodeURIComponent(login.owner)}`;
  const response = await fetch(url, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error((await errorOf(response)).message);
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

export const notebooks = {
  list: () => api<{ notebooks: { name: string }[] }>("GET", "/notebooks").then((b) => b.notebooks.map((n) => n.name)),
  read: (name: string) => api<Notebook>("GET", `/notebooks/${enc(name)}`),
  create: (name: string, cells: Cell[]) => api<Notebook>("POST", `/notebooks/${enc(name)}`, { cells }),
  save: (name: string, cells: Cell[]) => api<Notebook>("PUT", `/notebooks/${enc(name)}`, { cells }),
  remove: (name: string) => api<unknown>("DELETE", `/notebooks/${enc(name)}`),
  rename: (name: string, to: string) => api<Notebook>("POST", `/notebooks/${enc(name)}/rename?to=${enc(to)}`),
  duplicate: (name: string, to: string) => api<Notebook>("POST", `/notebooks/${enc(name)}/duplicate?to=${enc(to)}`),
  examples: () => api<{ examples: { name: string }[] }>("GET", "/examples").then((b) => b.examples.map((e) => e.name)),
  example: (name: string) => api<Notebook>("GET", `/examples/${enc(name)}`),
};

export async function checkLogin(value: Login): Promise<string | null> {
  const previous = login;
  login = value;
  try {
    await notebooks.list();
    return null;
  } catch (err) {
    login = previous;
    return (err as Error).message;
  }
}
