export * from './agent.js';
export * from './executor.js';
export * from './job-runner.js';
export * from './local-executor.js';
export * from './executor-router.js';
export * from './ssh-executor.js';
export * from './ssh-pool.js';
export * from './ssh-target.js';
