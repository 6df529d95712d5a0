import { compilePolicySet, type AclRequest, type CompiledAcl } from '../../src/policy/acl.js';
import { parsePolicy } from '../../src/policy/parse.js';

/** Compiles HCL policy texts named p0, p1, … into one ACL. */
export function aclOf(...texts: string[]): CompiledAcl {
  return compilePolicySet(texts.map((t, i) => parsePolicy(`p${i}`, t)));
}

/** `path "<p>" { capabilities = [...] }` */
export function block(path: string, ...caps: string[]): string {
  return `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]\n}\n`;
}

export function allowed(acl: CompiledAcl, req: AclRequest): boolean {
  return acl.allowOperation(req).allowed;
}
