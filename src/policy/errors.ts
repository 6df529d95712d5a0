/**
 * A policy that Vault would refuse. The message is what Vault puts after `failed to parse policy: `
 * (the policy store adds that prefix).
 */
export class PolicyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyParseError';
  }
}

/** Go's `%q` for the strings that occur in policies (JSON escaping matches it for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** go-multierror's rendering of a list of errors. */
export function multiErrorText(errors: readonly string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}
