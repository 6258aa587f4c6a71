/**
 * Live and test adapters of the debugger concern: HTTP uploader, process identities (from the process
 * resolver cache, /proc, or a static table),
 * random and sequential snapshot ids.
 */
export { layer as layerUploader, makeUploader, requestBody } from "./UploaderLive.js"
export { parseEnviron, ProcessInfoProc, ProcessInfoStatic, ProcessInfoTableOver } from "./ProcessInfoLayers.js"
export { factsOfEntry, ProcessInfoFromResolver } from "./ProcessInfoFromResolver.js"
export { SnapshotIdsRandom, SnapshotIdsSequential } from "./SnapshotIdsLayers.js"
