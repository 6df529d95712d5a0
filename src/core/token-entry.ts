/** A token as stored by the token store (the ACL and the pipeline read these fields). */
export interface TokenEntry {
  /** The token ID itself; for service tokens this is only held in memory, storage keys use its hash. */
  id: string;
  accessor: string;
  parent: string;
  policies: string[];
  path: string;
  meta: Record<string, string>;
  displayName: string;
  /** Remaining uses; 0 = unlimited. */
  numUses: number;
  creationTime: number;
  /** Seconds the token was created with (0 = never expires). */
  ttl: number;
  explicitMaxTtl: number;
  period: number;
  renewable: boolean;
  type: 'service' | 'batch';
  orphan: boolean;
  role?: string;
  boundCidrs?: string[];
  entityId: string;
  /** Unix ms after which the token is invalid; 0 = never. */
  expireTime: number;
  lastRenewalTime?: number;
  internalData?: Record<string, unknown>;
}
