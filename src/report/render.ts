// Tables and key/value lists as text (cli-table3) or markdown: the leaderboard and the
// single-trial report render through here so both look alike.
import Table from 'cli-table3';

export type Align = 'left' | 'right';

/** A table of already formatted cells. */
export interface Grid {
  head: string[];
  align: Align[];
  rows: string[][];
}

/** `colWidths` (padding included) shortens longer cells with `…`; without it every cell is whole. */
export function textTable(grid: Grid, colWidths?: readonly number[]): string {
  // No colours at all: the output is as often piped or saved as it is read in a terminal.
  const table = new Table({
    head: grid.head,
    colAligns: grid.align,
    ...(colWidths ? { colWidths: [...colWidths] } : {}),
    style: { head: [], border: [], compact: true },
  });
  for (const row of grid.rows) table.push(row);
  return table.toString();
}

export function mdCell(text: string): string {
  // A pipe would end the cell early; a newline would end the table.
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function markdownTable(grid: Grid): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  const separator = `|${grid.align.map((a) => (a === 'right' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(grid.head), separator, ...grid.rows.map(line)].join('\n');
}

/** `  name   value` lines, names padded to one width so the values line up. */
export function textPairs(pairs: ReadonlyArray<readonly [string, string]>, indent = '  '): string {
  const width = Math.max(0, ...pairs.map(([name]) => name.length));
  return pairs.map(([name, value]) => `${indent}${name.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

/** `- **name**: value` lines. */
export function markdownPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `- **${name}**: ${value.replace(/\r?\n/g, ' ')}`).join('\n');
}
