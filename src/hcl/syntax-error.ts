import type { Pos } from './ast.js';

/** A malformed HCL/JSON document, or a document whose shape a decoder could not accept. */
export class HclSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  readonly filename?: string;
  /** The message without the `file:line:col: ` prefix. */
  readonly reason: string;

  constructor(reason: string, pos: Pos, filename?: string) {
    super(`${filename !== undefined ? `${filename}:` : ''}${pos.line}:${pos.column}: ${reason}`);
    this.name = 'HclSyntaxError';
    this.line = pos.line;
    this.column = pos.column;
    this.reason = reason;
    if (filename !== undefined) this.filename = filename;
  }
}

/** Maps string offsets to line/column; built once per document. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}
