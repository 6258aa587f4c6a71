/**
 * Live adapters of the trace loader: listener set, /proc classifier, activation driver, agent
 * supervisor, configuration file reader, the agent-side adoption helper, and `runLoader`.
 */
export { type ActivationResult, type ConnectionSource, type DriverOptions, waitForActivation } from "./Activation.js"
export { loadLoaderConfig, readConfigFile } from "./ConfigFile.js"
export { handleFd } from "./HandleFd.js"
export {
  type AdoptedClient,
  type AdoptedListener,
  type AdoptedSockets,
  adoptInheritedSockets,
  type AdoptOptions,
  serveHeldClients
} from "./InheritedSockets.js"
export {
  type AcceptedConnection,
  type BoundListener,
  ListenerEvent,
  type ListenerSet,
  openListeners,
  resolveHost
} from "./Listeners.js"
export { formatLine, loaderLogger, withLoaderLogger } from "./LogFormat.js"
export { type LoaderOptions, type LoaderOutcome, runLoader } from "./Loader.js"
export {
  liveProcNetSources,
  makeProcNetClassifier,
  layerProcNetClassifier,
  type ProcNetOptions
} from "./ProcNetClassifier.js"
export { drainBuffered, makeReadingClassifier } from "./ReadingClassifier.js"
export { resolveCommand } from "./ResolveCommand.js"
export { FORWARDED_SIGNALS, processSignals } from "../ProcessSignals.js"
export { type AgentExit, type AgentProcess, exitCodeOf, spawnAgent, superviseAgent } from "./Supervisor.js"
