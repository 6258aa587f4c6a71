/** Live log inputs: file tailing, the atomic offset registry on disk, TCP and stream (stdin) line inputs. */
export * from "./FileTailer.js"
export * from "./LineReader.js"
export * from "./RegistryStore.js"
export * from "./StreamInputs.js"
