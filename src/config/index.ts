export { parseDuration, formatDuration } from './duration.js';
export { ConfigError } from './errors.js';
export { applyEnv, applySealEnv, type Env } from './env.js';
export { finalizeConfig, mergeConfigs, parseConfigText } from './finalize.js';
export { mergeFragments, parseConfigFragment, type ConfigFragment } from './fragment.js';
export { devConfig, loadConfig } from './load.js';
export { activeSeal, migrationSourceSeal } from './seal.js';
export * from './schema.js';
