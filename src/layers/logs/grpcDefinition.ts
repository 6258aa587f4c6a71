/**
 * grpc-js service definition of `StatefulLogsService.LogsStream`, built on the generated static protobuf code
 * (no runtime .proto loading). Shared by the intake server and the sender's client.
 */
import * as grpc from "@grpc/grpc-js"
import { datadog } from "../../generated/stateful_encoding.js"
import { varintBytes } from "../../services/logs/DatumWire.js"

const pb = datadog.intake.stateful

/** A batch as sent by the client. */
export interface StatefulBatchMessage {
  readonly batchId: number
  readonly data: Uint8Array
}

/** An ack as sent by the server. */
export interface BatchStatusMessage {
  readonly batchId: number
  /** 1 = OK, the only status the contract uses. */
  readonly status: number
}

export const logsStreamPath = "/datadog.intake.stateful.StatefulLogsService/LogsStream"

export const batchStatusOk = pb.BatchStatus.Status.OK

/**
 * A `StatefulBatch` written straight into one buffer of its exact size: batch_id (field 1, varint) then data
 * (field 2, length-delimited), each omitted when it is the proto3 default, as the generated encoder does.
 * protobufjs's writer copied every payload twice (into its growing buffer, then into the finished one)
 * before grpc-js copies it once more to frame it.
 */
export const serializeBatch = (m: StatefulBatchMessage): Buffer => {
  const batchId = m.batchId >>> 0 // a uint32 field, as the generated encoder writes it
  const data = m.data
  const size = (batchId === 0 ? 0 : 1 + varintBytes(batchId)) + (data.length === 0 ? 0 : 1 + varintBytes(data.length) + data.length)
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  const varint = (v: number) => {
    for (; v >= 0x80; v >>>= 7) out[pos++] = (v & 0x7f) | 0x80
    out[pos++] = v
  }
  if (batchId !== 0) {
    out[pos++] = 0x08
    varint(batchId)
  }
  if (data.length !== 0) {
    out[pos++] = 0x12
    varint(data.length)
    out.set(data, pos)
  }
  return out
}

const deserializeBatch = (b: Buffer): StatefulBatchMessage => {
  const m = pb.StatefulBatch.decode(b)
  return { batchId: m.batchId ?? 0, data: m.data ?? new Uint8Array(0) }
}

const serializeStatus = (m: BatchStatusMessage): Buffer => {
  const bytes = pb.BatchStatus.encode({ batchId: m.batchId, status: m.status }).finish()
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const deserializeStatus = (b: Buffer): BatchStatusMessage => {
  const m = pb.BatchStatus.decode(b)
  return { batchId: m.batchId ?? 0, status: m.status ?? 0 }
}

export const statefulLogsServiceDefinition = {
  LogsStream: {
    path: logsStreamPath,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeBatch,
    requestDeserialize: deserializeBatch,
    responseSerialize: serializeStatus,
    responseDeserialize: deserializeStatus,
    originalName: "logsStream"
  }
} satisfies grpc.ServiceDefinition

/** Client stub class: `new StatefulLogsClient(target, credentials, options).LogsStream(metadata)`. */
export interface StatefulLogsClient extends grpc.Client {
  LogsStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<StatefulBatchMessage, BatchStatusMessage>
}

export const StatefulLogsClient = grpc.makeGenericClientConstructor(
  statefulLogsServiceDefinition,
  "StatefulLogsService"
) as unknown as new(
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions
) => StatefulLogsClient

/** Request metadata keys of the contract. */
export const MetadataKeys = {
  apiKey: "dd-api-key",
  contentEncoding: "dd-content-encoding",
  protocol: "dd-protocol",
  evpOrigin: "dd-evp-origin",
  evpOriginVersion: "dd-evp-origin-version"
} as const
