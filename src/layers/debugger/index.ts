/**
 * Live and test adapters of the debugger concern: HTTP uploader, /proc and static process identities,
 * random and sequential snapshot ids.
 */
export { makeUploader, requestBody, UploaderLive } from "./UploaderLive.js"
export { parseEnviron, ProcessInfoProc, ProcessInfoStatic, ProcessInfoTableOver } from "./ProcessInfoLayers.js"
export { SnapshotIdsRandom, SnapshotIdsSequential } from "./SnapshotIdsLayers.js"
