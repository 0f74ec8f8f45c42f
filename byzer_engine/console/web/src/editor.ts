// The code editor: CodeMirror 6 with the Byzer dialect (Spark SQL plus Byzer's statements),
// completion of keywords, the session's tables and columns, LLM functions and ETs, and error marks.
import { autocompletion, type Completion, type CompletionContext } from "@codemirror/autocomplete";
import { markdown } from "@codemirror/lang-markdown";
import { python } from "@codemirror/lang-python";
import { SQLDialect, StandardSQL, sql } from "@codemirror/lang-sql";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";

export const BYZER_KEYWORDS = [
  "load", "save", "select", "set", "connect", "train", "run", "predict", "register", "include",
  "as", "where", "and", "options", "overwrite", "append", "errorIfExists", "ignore", "partitionBy",
  "coalesce", "from", "group", "by", "order", "limit", "join", "on", "union", "all", "insert", "create",
  "drop", "command", "Ray", "LLM",
];
const MACROS = ["!desc", "!show", "!kill", "!println", "!assert", "!cache", "!uncache", "!byzerllm", "!python", "!hdfs", "!fs"];

const Byzer = SQLDialect.define({
  ...StandardSQL.spec,
  keywords: (StandardSQL.spec.keywords ?? "") + " " + BYZER_KEYWORDS.join(" ").toLowerCase(),
  identifierQuotes: "`",
  backslashEscapes: true,
  doubleQuotedStrings: true,
  hashComments: false,
});

/** What completion knows about the owner's session; the schema browser keeps it current. */
export interface Vocabulary {
  tables: Record<string, string[]>;
  functions: string[];
  ets: string[];
}

export const vocabulary: Vocabulary = { tables: {}, functions: [], ets: [] };

function byzerCompletions(context: CompletionContext) {
  const word = context.matchBefore(/[!\w]*/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  const options: Completion[] = [
    ...BYZER_KEYWORDS.map((label) => ({ label, type: "keyword" })),
    ...MACROS.map((label) => ({ label, type: "keyword", detail: "macro" })),
    ...Object.keys(vocabulary.tables).map((label) => ({ label, type: "variable", detail: "table" })),
    ...Object.entries(vocabulary.tables).flatMap(([table, cols]) =>
      cols.map((label) => ({ label, type: "property", detail: `column of ${table}` })),
    ),
    ...vocabulary.functions.map((label) => ({ label, type: "function", detail: "LLM function", apply: `${label}(llm_param(map("instruction", ""))) ` })),
    ...vocabulary.ets.map((label) => ({ label, type: "class", detail: "ET" })),
  ];
  return { from: word.from, options, validFor: /^[!\w]*$/ };
}

export interface EditorOptions {
  kind: string;
  doc: string;
  readOnly: boolean;
  onChange: (text: string) => void;
  onRun: () => void;
  onRunAndNext: () => void;
}

function languageOf(kind: string): Extension {
  if (kind === "python") return python();
  if (kind === "markdown" || kind === "chat") return markdown();
  const lang = sql({ dialect: Byzer, upperCaseKeywords: false });
  return [lang, lang.language.data.of({ autocomplete: byzerCompletions })];
}

export function createEditor(parent: HTMLElement, options: EditorOptions): EditorView {
  const runKeys = keymap.of([
    { key: "Shift-Enter", run: () => (options.onRunAndNext(), true) },
    { key: "Ctrl-Enter", mac: "Cmd-Enter", run: () => (options.onRun(), true) },
  ]);
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        runKeys,
        basicSetup,
        languageOf(options.kind),
        autocompletion({ activateOnTyping: true }),
        lintGutter(),
        EditorState.readOnly.of(options.readOnly),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}

/** Underline the error the engine reported at ``line``/``column`` (1-based) of the cell. */
export function markError(view: EditorView, line: number | null | undefined, column: number | null | undefined, message: string): void {
  const doc = view.state.doc;
  const lineNo = Math.min(Math.max(line ?? 1, 1), doc.lines);
  const at = doc.line(lineNo);
  const from = Math.min(at.from + Math.max((column ?? 1) - 1, 0), at.to);
  const wordEnd = /^[^\s;,()]*/.exec(doc.sliceString(from, at.to))?.[0].length ?? 0;
  const to = Math.max(from + wordEnd, Math.min(from + 1, at.to), from === at.to ? at.to : from + 1);
  view.dispatch(setDiagnostics(view.state, [{ from, to: Math.max(to, from), severity: "error", message }]));
}

export function clearError(view: EditorView): void {
  view.dispatch(setDiagnostics(view.state, []));
}
