/**
 * JSON Schemas (draft-07) of everything this concern writes as JSON, generated from the Effect Schemas so
 * the two cannot drift. Committed under `schemas/`; a test fails when the committed files are stale.
 */
import { JSONSchema } from "effect"
import { ProcessEventJson, ProcessReportJson, SecurityEventJson } from "./EventSchemas.js"
import { TracerMetadata } from "./TracerMetadata.js"

/** File name → schema document. */
export const jsonSchemas = (): Record<string, JSONSchema.JsonSchema7Root> => ({
  "tracer-metadata.schema.json": JSONSchema.make(TracerMetadata),
  "process-event.schema.json": JSONSchema.make(ProcessEventJson),
  "security-event.schema.json": JSONSchema.make(SecurityEventJson),
  "process-report.schema.json": JSONSchema.make(ProcessReportJson)
})

/** The exact text committed for a schema (stable key order, trailing newline). */
export const renderJsonSchema = (doc: JSONSchema.JsonSchema7Root): string => `${JSON.stringify(doc, null, 2)}\n`
