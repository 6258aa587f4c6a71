/**
 * Typed errors of live capture: each names the input (pid, probe, file) and the rule it broke.
 */
import { Schema } from "effect"

/** A `--probe` argument or a configured probe that is not `FILE:LINE`. */
export class InvalidProbeSpec extends Schema.TaggedError<InvalidProbeSpec>()("InvalidProbeSpec", {
  spec: Schema.String,
  rule: Schema.String
}) {
  override get message(): string {
    return `probe ${JSON.stringify(this.spec)}: ${this.rule}`
  }
}

/** A log template whose `{…}` segment is not a variable path (`name`, `name.field`, `this.field`). */
export class InvalidTemplate extends Schema.TaggedError<InvalidTemplate>()("InvalidTemplate", {
  template: Schema.String,
  rule: Schema.String
}) {
  override get message(): string {
    return `template ${JSON.stringify(this.template)}: ${this.rule}`
  }
}

/** No process with this pid. */
export class ProcessNotFound extends Schema.TaggedError<ProcessNotFound>()("ProcessNotFound", { pid: Schema.Number }) {
  override get message(): string {
    return `pid ${this.pid}: no such process`
  }
}

/** A file of the process under /proc could not be read for another reason than the process being gone. */
export class ProcReadFailed extends Schema.TaggedError<ProcReadFailed>()("ProcReadFailed", {
  pid: Schema.Number,
  path: Schema.String,
  operation: Schema.Literal("read", "readdir", "readlink"),
  detail: Schema.String
}) {
  override get message(): string {
    return `pid ${this.pid}: cannot ${this.operation} ${this.path}: ${this.detail}`
  }
}

/** A source map a script names could not be used: missing, unreadable, too large, or not a source map. */
export class SourceMapUnusable extends Schema.TaggedError<SourceMapUnusable>()("SourceMapUnusable", {
  map: Schema.String,
  reason: Schema.Literal("Missing", "Unreadable", "TooLarge", "Malformed"),
  detail: Schema.String
}) {
  override get message(): string {
    return `source map ${this.map}: ${this.detail}; the script is used without it`
  }
}

/** The process is not a Node.js process (its executable is named). */
export class NotNodeProcess extends Schema.TaggedError<NotNodeProcess>()("NotNodeProcess", {
  pid: Schema.Number,
  exe: Schema.String
}) {
  override get message(): string {
    return `pid ${this.pid}: ${this.exe} is not a Node.js process`
  }
}

/** The process belongs to another user and this process is not root. */
export class OtherUserProcess extends Schema.TaggedError<OtherUserProcess>()("OtherUserProcess", {
  pid: Schema.Number,
  uid: Schema.Number,
  ownUid: Schema.Number
}) {
  override get message(): string {
    return `pid ${this.pid} belongs to uid ${this.uid}, not to uid ${this.ownUid}: attaching to another user's process needs root`
  }
}

/** The process's inspector listens on an address that is not loopback: refused. */
export class NonLoopbackInspector extends Schema.TaggedError<NonLoopbackInspector>()("NonLoopbackInspector", {
  pid: Schema.Number,
  address: Schema.String
}) {
  override get message(): string {
    return `pid ${this.pid}: inspector listens on ${this.address}, not on a loopback address; refusing to connect`
  }
}

/** No inspector of this process could be reached (not opened by SIGUSR1, or not answering). */
export class InspectorUnreachable extends Schema.TaggedError<InspectorUnreachable>()("InspectorUnreachable", {
  pid: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `pid ${this.pid}: inspector unreachable: ${this.detail}`
  }
}

/** A protocol command failed (the target answered with an error, or the connection is gone). */
export class CdpError extends Schema.TaggedError<CdpError>()("CdpError", {
  method: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.method}: ${this.detail}`
  }
}

/** No loaded script (nor original source of a source map) ends with the probe's file. */
export class ProbeFileNotLoaded extends Schema.TaggedError<ProbeFileNotLoaded>()("ProbeFileNotLoaded", {
  probe: Schema.String,
  file: Schema.String
}) {
  override get message(): string {
    return `probe ${this.probe}: no loaded script or source-mapped source ends with ${this.file}`
  }
}

/** The probe's file matches several scripts: a longer path is needed to pick one. */
export class AmbiguousProbeFile extends Schema.TaggedError<AmbiguousProbeFile>()("AmbiguousProbeFile", {
  probe: Schema.String,
  candidates: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `probe ${this.probe}: the file matches ${this.candidates.join(", ")}; give a longer path`
  }
}

/** The probe's line has no code to break on (through the source map, when there is one). */
export class ProbeLineNotMapped extends Schema.TaggedError<ProbeLineNotMapped>()("ProbeLineNotMapped", {
  probe: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `probe ${this.probe}: ${this.detail}`
  }
}

/** The target process went away (its inspector connection closed) before the capture ended. */
export class TargetExited extends Schema.TaggedError<TargetExited>()("TargetExited", { pid: Schema.Number }) {
  override get message(): string {
    return `pid ${this.pid}: the target exited (inspector connection closed)`
  }
}

export type AttachError =
  | ProcessNotFound
  | ProcReadFailed
  | NotNodeProcess
  | OtherUserProcess
  | NonLoopbackInspector
  | InspectorUnreachable
  | CdpError

export type InstallError = ProbeFileNotLoaded | AmbiguousProbeFile | ProbeLineNotMapped | CdpError
