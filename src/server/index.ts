export { PageserverEmulator } from './emulator.js';
export type { EmulatorAddress } from './emulator.js';
export { startEmulatorProcess } from './process.js';
export type { EmulatorProcess, StartEmulatorOptions } from './process.js';
export { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from './ids.js';
export { FAULT_KINDS, defaultEmulatorOptions, parseFaults, parseLatency, zeroFaults } from './config.js';
export type { EmulatorOptions, FaultKind, FaultRates, GroundTruth, LatencyModel } from './config.js';
