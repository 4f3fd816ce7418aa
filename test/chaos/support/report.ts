// The chaos suite's table: every case adds a row, and the table is printed once all suites ran
// (a mocha root hook). RELIABILITY.md explains the columns.

export interface Row {
  scenario: string;
  case: string;
  target: string;
  passed: boolean;
  figures: string;
}

const rows: Row[] = [];

export function record(row: Row): void {
  rows.push(row);
}

function table(): string {
  const head = ['scenario', 'case', 'target', 'result', 'figures'];
  const body = rows.map((r) => [r.scenario, r.case, r.target, r.passed ? 'pass' : 'FAIL', r.figures]);
  const widths = head.map((h, i) => Math.min(i === 4 ? 100 : 50, Math.max(h.length, ...body.map((b) => b[i]!.length))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.slice(0, widths[i]).padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export const mochaHooks = {
  afterAll(): void {
    if (rows.length === 0) return;
    const failed = rows.filter((r) => !r.passed).length;
    process.stdout.write(`\nChaos suite: ${rows.length} cases, ${failed} failed\n\n${table()}\n\n`);
  },
};
