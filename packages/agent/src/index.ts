export * from './agent.js';
export * from './executor.js';
export * from './job-runner.js';
export * from './local-executor.js';
