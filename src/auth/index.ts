/** The auth method backends, one BackendFactory per method type. */
import type { BackendFactory } from '../core/logical.js';
import { createAppRoleBackend } from './approle/backend.js';
import { createUserpassBackend } from './userpass/backend.js';
import { createKubernetesBackend } from './kubernetes/backend.js';
import { createCertBackend } from './cert/backend.js';
import { createJwtBackend } from './jwt/backend.js';

export const approleBackendFactory: BackendFactory = (ctx) => createAppRoleBackend(ctx);
export const userpassBackendFactory: BackendFactory = (ctx) => createUserpassBackend(ctx);
export const kubernetesBackendFactory: BackendFactory = (ctx) => createKubernetesBackend(ctx);
export const certBackendFactory: BackendFactory = (ctx) => createCertBackend(ctx);
export const jwtBackendFactory: BackendFactory = (ctx) => createJwtBackend(ctx);

export { createAppRoleBackend, createUserpassBackend, createKubernetesBackend, createCertBackend, createJwtBackend };
