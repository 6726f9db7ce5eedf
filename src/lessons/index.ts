/**
 * Lesson helpers: what the notebooks call to benchmark, tabulate, chart and explain, as opposed to the library a user
 * builds on. Each module's header names the notebook that introduces it. Exported from the package as the namespace
 * `lessons` (`import { lessons } from "compact-nets"`).
 */
export * from './demo';
export * from './compression-study';
export * from './charts';
export * from './op-bench';
export * from './table';
export * from './table-pretrained';
export * from './table-summary';
export * from './guidelines';
export * from './shift-analysis';
export * from './tradeoffs';
export * from './evidence';
export * from './reference-latency';
export * from './survey-claims';
export * from './runtime-compare';
export * from './deploy';
export * from './diagrams';
