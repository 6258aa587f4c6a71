/** Live log inputs: file tailing, the atomic offset registry on disk, TCP and stream (stdin) line inputs. */
/** Tails the files a glob matches, following rotation and truncation. */
export { defaultTailerSettings, type FileInputOptions, runFileInput, type TailEvent, type TailerSettings } from "./FileTailer.js"
/** Reads a stream or a file to its end, line by line. */
export { InputReadError, readFileLines, readStreamLines, type ReadOptions } from "./LineReader.js"
/** The offset registry on disk and the checkpointer that advances it from acknowledgements. */
export { layerRegistryStore, makeRegistryStore, RegistryError, RegistryStore } from "./RegistryStore.js"
/** Line inputs over a TCP listener or any Node readable. */
export { InputListenError, pumpReadable, serveTcpInput } from "./StreamInputs.js"
