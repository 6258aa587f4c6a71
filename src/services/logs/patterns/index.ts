/** Pattern extraction for the stateful stream's structured logs. */
export { type ClustererLimits, defaultClustererLimits, fits, type Match, Clusterer } from "./Clusterer.js"
export { defaultPatternSettings, PatternContent, type PatternSettings } from "./PatternContent.js"
export { defaultPatternLimits, type PatternEntry, type PatternLimits, PatternTable, type PatternTableStats } from "./PatternTable.js"
export { maxWords, scan, Tokens, WordKind } from "./Tokenizer.js"
export { exactFloat, exactInt, int64VarintSize, varintSize } from "./ValueTyping.js"
