// The copilot: a question and the tables it is about become a prompt built from their schemas
// (and, if asked, a few sample rows); a deployed model proposes a Byzer select, inserted as a new cell.
import { chatCompletion, runScript } from "./api";

export interface CopilotRequest {
  question: string;
  tables: Record<string, { name: string; type: string }[]>;
  sampleRows: boolean;
  model: string;
}

export async function buildPrompt(request: CopilotRequest): Promise<string> {
  const parts: string[] = ["Tables:"];
  for (const [name, cols] of Object.entries(request.tables)) {
    parts.push(`${name}(${cols.map((c) => `${c.name} ${c.type}`).join(", ")})`);
    if (request.sampleRows) {
      const sample = await runScript(`select * from \`${name}\` limit 3 as __console_sample__;`, `console-copilot-${crypto.randomUUID().slice(0, 8)}`);
      if (sample.ok) parts.push(`Sample rows of ${name}: ${JSON.stringify(sample.rows)}`);
    }
  }
  parts.push(`Question: ${request.question}`);
  parts.push("Write one Spark SQL SELECT statement over these tables that answers the question. Reply with the SQL only.");
  return parts.join("\n");
}

const SYSTEM = "You write Spark SQL for Byzer. Answer with a single SELECT statement and nothing else.";

/** The Byzer statement of a model's answer: its first SELECT, ending in `as TABLE;`. */
export function proposedCell(answer: string, fallbackTable: string): string {
  const cleaned = answer.replace(/```[a-z]*\n?/gi, "").trim();
  const match = /select\b[\s\S]*?(;|$)/i.exec(cleaned);
  const comment = `-- copilot (${new Date().toISOString().slice(0, 19)}): ${cleaned.split("\n")[0].slice(0, 200)}\n`;
  if (!match) return `${comment}-- the model proposed no SELECT; a start:\nselect * from ${fallbackTable} as copilot_result;`;
  let statement = match[0].replace(/;$/, "").trim();
  if (!/\sas\s+[A-Za-z_][A-Za-z0-9_]*$/i.test(statement)) statement += " as copilot_result";
  return `${comment}${statement};`;
}

export async function askCopilot(request: CopilotRequest, maxTokens = 64): Promise<{ prompt: string; answer: string; cell: string }> {
  const prompt = await buildPrompt(request);
  const answer = await chatCompletion(request.model, [
    { role: "system", content: SYSTEM },
    { role: "user", content: prompt },
  ], maxTokens);
  const first = Object.keys(request.tables)[0] ?? "t";
  return { prompt, answer, cell: proposedCell(answer, first) };
}
