/** Typed errors of the loader, one per boundary. */
import { Schema } from "effect"
import { ConfigIssue, formatIssues } from "../config/ConfigIssue.js"


/** Every invalid configuration value, each naming its key, its source and the rule it broke. */
export class LoaderConfigError extends Schema.TaggedError<LoaderConfigError>()("LoaderConfigError", {
  issues: Schema.NonEmptyArray(ConfigIssue)
}) {
  override get message(): string {
    return `invalid configuration:\n${formatIssues(this.issues)}`
  }
}

/** The configuration file could not be read or parsed. */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** Binding or preparing one of the receiver sockets failed. */
export class ListenerError extends Schema.TaggedError<ListenerError>()("ListenerError", {
  listener: Schema.Literal("tcp", "unix", "otlp"),
  reason: Schema.Literal("Bind", "NotASocket", "RemoveStale", "Rename", "Chmod", "Descriptor"),
  address: Schema.String,
  message: Schema.String
}) {}

/** The agent command could not be resolved or started. */
export class AgentStartError extends Schema.TaggedError<AgentStartError>()("AgentStartError", {
  reason: Schema.Literal("NotFound", "Spawn"),
  command: Schema.String,
  message: Schema.String
}) {}

/** A descriptor named by an inherited variable is missing, malformed or of the wrong kind. */
export class InheritedFdError extends Schema.TaggedError<InheritedFdError>()("InheritedFdError", {
  variable: Schema.String,
  value: Schema.String,
  message: Schema.String
}) {}
