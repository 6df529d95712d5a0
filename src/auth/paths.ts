/** Small helpers shared by the auth backends' path declarations and handlers. */
import type { LogicalResponse } from '../core/logical.js';
import { LogicalError } from '../core/logical.js';

/** Vault's framework.GenericNameRegex as a named group. */
export const nameGroup = (group: string): string => `(?<${group}>\\w(?:[\\w.-]*\\w)?)`;

/** A path parameter the router captured; its absence is a routing bug, not a client error. */
export function param(params: Record<string, string>, name: string): string {
  const v = params[name];
  if (v === undefined) throw new Error(`path parameter "${name}" was not captured`);
  return v;
}

/** LIST answer: Vault renders an empty list as 404, which the core does for an empty response. */
export const listResponse = (keys: string[]): LogicalResponse | undefined => (keys.length === 0 ? undefined : { data: { keys } });

/** Go's time.Time JSON form (RFC3339 with trimmed nanoseconds, UTC); the zero time for 0. */
export function goTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}

/** 403 `permission denied`, what Vault returns for CIDR mismatches and locked users. */
export const denied = (): LogicalError => new LogicalError('permission denied', 403);

/** Response carrying only warnings (or nothing: 204). */
export const warningsOnly = (warnings: string[]): LogicalResponse | undefined => (warnings.length > 0 ? { warnings } : undefined);
