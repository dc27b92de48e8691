// Owns CLI output: where results and messages go, and plain-text tables.
export interface Output {
  /** The command's result (stdout). */
  result(text: string): void;
  /** Help and progress (stdout). */
  info(text: string): void;
  /** Errors (stderr). */
  error(text: string): void;
  /** Progress of a long-running command (stderr; a terminal gets one line, rewritten in place). */
  progress(text: string): void;
  /** Whether progress is shown without being asked for (stderr is a terminal). */
  readonly interactive: boolean;
}

export function formatTable(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}
