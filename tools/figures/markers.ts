/*
 * Generated blocks in Markdown: the text between `<!-- figures:NAME -->` and
 * `<!-- /figures:NAME -->` belongs to the renderer (tools/figures/tables.ts);
 * everything else in the file is prose, left as it is.
 */
import { FiguresError } from "./record.js";

const open = (name: string) => `<!-- figures:${name} -->`;
const close = (name: string) => `<!-- /figures:${name} -->`;

/** Where block `name`'s content starts and ends in `text`; a missing or unclosed marker is an error naming the file. */
function span(text: string, name: string, file: string): { from: number; to: number } {
  const a = text.indexOf(open(name));
  if (a < 0) throw new FiguresError(`figures: ${file} has no ${open(name)} marker`);
  if (text.indexOf(open(name), a + 1) >= 0) throw new FiguresError(`figures: ${file} has ${open(name)} twice`);
  const from = a + open(name).length;
  const to = text.indexOf(close(name), from);
  if (to < 0) throw new FiguresError(`figures: ${file}: ${open(name)} is not closed by ${close(name)}`);
  return { from, to };
}

/** The block as it stands between its markers. */
export function blockText(text: string, name: string, file: string): string {
  const { from, to } = span(text, name, file);
  return text.slice(from, to);
}

/** The block's content as the file should hold it: on lines of its own between the markers. */
function framed(content: string): string {
  return `\n${content.trimEnd()}\n`;
}

/** `text` with each named block replaced by its rendering. */
export function replaceBlocks(text: string, blocks: Record<string, string>, file: string): string {
  let out = text;
  for (const [name, content] of Object.entries(blocks)) {
    const { from, to } = span(out, name, file);
    out = out.slice(0, from) + framed(content) + out.slice(to);
  }
  return out;
}

/** Names of the blocks whose committed text differs from their rendering (a figure edited by hand, a stale table). */
export function staleBlocks(text: string, blocks: Record<string, string>, file: string): string[] {
  return Object.entries(blocks)
    .filter(([name, content]) => blockText(text, name, file) !== framed(content))
    .map(([name]) => name);
}
