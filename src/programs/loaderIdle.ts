/**
 * The loader's idle phase: the loader read and decoded its configuration (loader.ts), then re-executed the
 * process into this image with the plan in DD_LOADER_IDLE_PLAN, so that what stays in memory while no traffic
 * arrives is Node and a few small modules, not Effect. Binds the receiver sockets, absorbs probes and waits
 * (idle/*); on real traffic starts the agent with them at once, then loads the supervision (loaderHandover.ts),
 * which also starts the agent directly when the sockets cannot be bound.
 * Built alone into dist/dd-agent-loader-idle.cjs, the image the loader re-executes into (loader.ts): CommonJS
 * with no package and no shared chunk, which the build checks (scripts/build.mjs).
 */
import { idleLog } from "../layers/loader/idle/IdleLog.js"
import { classifierFor } from "../layers/loader/idle/IdleClassifier.js"
import { handOverSockets, handoverOrder, launchAgent, slotLines } from "../layers/loader/idle/IdleLaunch.js"
import { type Holder, holdListeners } from "../layers/loader/idle/IdleListeners.js"
import { activationLine, waitIdle } from "../layers/loader/idle/IdleWait.js"
import { makePlan } from "../services/loader/HandoverPlan.js"
import { decodeIdlePlan, IDLE_PLAN_VARIABLE, type IdlePlan } from "../services/loader/IdlePlan.js"
import type { AfterIdle, SignalSource } from "./loaderHandover.js"

/** Signals that end the wait, and that the handover forwards to the agent (ProcessSignals.ts's list). */
const SIGNALS: ReadonlyArray<NodeJS.Signals> = ["SIGTERM", "SIGINT", "SIGHUP"]

/** Signals as they arrive, kept until someone listens: none is lost between the wait and the handover. */
const processSignals = (): SignalSource => {
  const early: Array<string> = []
  let deliver: (name: string) => void = (name) => early.push(name)
  for (const s of SIGNALS) process.on(s, (name) => deliver(name))
  return {
    listen: (f) => {
      deliver = f
      for (const name of early.splice(0)) f(name)
      return () => {
        deliver = (name) => early.push(name)
      }
    }
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

const idle = async (plan: IdlePlan, signals: SignalSource): Promise<AfterIdle | number> => {
  const log = idleLog(plan.config.logLevel)
  let holder: Holder
  try {
    holder = await holdListeners(plan.config, log)
  } catch (e) {
    log.warn(`Failed to get listeners for the trace-agent: ${message(e)}`)
    return { _tag: "Direct", why: "listener failure" }
  }
  if (holder.listeners.length === 0) {
    log.info("All trace-agent inputs are disabled, stopping...")
    return 0
  }
  const { config } = plan
  log.info(`Polling... ${JSON.stringify(holder.listeners.map((l) => ({ kind: l.kind, address: l.address, fd: l.fd })))}`)
  const wait = waitIdle({
    holder,
    classifier: classifierFor(config.classifier),
    policy: { handleTcpProbe: config.handleTcpProbe, maxHeld: config.maxHeld, secondClientActivates: config.secondClientActivates },
    holdTimeoutMs: config.holdTimeoutMs,
    debug: log.debug
  })
  const stopListening = signals.listen(wait.signal)
  const result = await wait.result
  stopListening()
  if (result._tag === "Exit") {
    log.info(`Stopping: ${result.detail}`)
    await holder.close()
    return result.code
  }
  log.info(activationLine(result))
  const clients = handoverOrder(holder.held(), result.trigger)
  const handover = makePlan({
    listeners: holder.listeners,
    clients,
    baseEnv: process.env,
    command: plan.command,
    listenFds: config.listenFds,
    prefixPipe: config.classifier === "read",
    activation: result
  })
  for (const line of slotLines(handover)) log.debug(line)
  log.info("Starting the trace-agent...")
  try {
    const launched = await launchAgent(handover, plan.argv0, handOverSockets(handover, clients, holder.relinquish))
    return { _tag: "Launched", launched, reason: result.reason }
  } catch (e) {
    log.error(`Failed to start the trace-agent with args ${JSON.stringify(plan.command)}: ${message(e)}`)
    await holder.close()
    return 1
  }
}

/** Decodes the plan, waits, then exits or hands over: the image's whole life. */
const main = async (): Promise<void> => {
  const decoded = decodeIdlePlan(process.env[IDLE_PLAN_VARIABLE] ?? "")
  delete process.env[IDLE_PLAN_VARIABLE] // the agent must not inherit it
  if ("error" in decoded) {
    process.stderr.write(`dd-agent loader: ${decoded.error}\n`)
    return process.exit(2)
  }
  const { plan } = decoded
  const signals = processSignals()
  const next = await idle(plan, signals)
  if (typeof next === "number") return process.exit(next)
  const { runAfterIdle } = await import("./loaderHandover.js")
  runAfterIdle(plan, signals, next)
}

void main()
