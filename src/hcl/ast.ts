/** AST of an HCL1 (hashicorp/hcl v1) document. JSON documents map onto the same nodes. */

/** 1-based line and column (column counts UTF-16 code units). */
export interface Pos {
  line: number;
  column: number;
}

export type HclNode = HclString | HclNumber | HclBool | HclList | HclObject;

/** Quoted strings and heredocs, already unescaped (`${…}` kept literally). */
export interface HclString {
  kind: 'string';
  value: string;
  pos: Pos;
}

export interface HclNumber {
  kind: 'number';
  value: number;
  pos: Pos;
}

export interface HclBool {
  kind: 'bool';
  value: boolean;
  pos: Pos;
}

export interface HclList {
  kind: 'list';
  items: HclNode[];
  pos: Pos;
}

export interface HclObject {
  kind: 'object';
  items: HclItem[];
  pos: Pos;
}

/** `a "b" "c" { … }` → keys ['a','b','c'], value = the object; `a = 1` → keys ['a'] */
export interface HclItem {
  keys: string[];
  value: HclNode;
  /** Position of the first key. */
  pos: Pos;
  /** True when written `key = value` (always true for JSON). */
  assign: boolean;
}
