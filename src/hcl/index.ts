export type { HclBool, HclItem, HclList, HclNode, HclNumber, HclObject, HclString, Pos } from './ast.js';
export { HclSyntaxError, parseHcl, parseHclOrJson } from './parse.js';
export { blocks, describeNode, toPlain, type HclBlock } from './decode.js';
