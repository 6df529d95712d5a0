/** A server configuration that cannot be used; the message names the file, line and key. */
export class ConfigError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  /** Message `file:line: message` (or `file:line:column: message` for syntax errors). */
  constructor(message: string, where?: { file?: string; line?: number; column?: number }) {
    let prefix = '';
    if (where?.file !== undefined) {
      prefix = where.file;
      if (where.line !== undefined) prefix += `:${where.line}${where.column !== undefined ? `:${where.column}` : ''}`;
      prefix += ': ';
    }
    super(prefix + message);
    this.name = 'ConfigError';
    if (where?.file !== undefined) this.file = where.file;
    if (where?.line !== undefined) this.line = where.line;
    if (where?.column !== undefined) this.column = where.column;
  }
}
