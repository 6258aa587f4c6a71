/**
 * Live adapters of the trace loader: listener set, activation wait, agent
 * supervisor, configuration file reader, the agent-side adoption helper, and `runLoader`.
 */
/** The loader program: holds the sockets, absorbs probes, starts and supervises the agent. */
export { type LoaderOptions, type LoaderOutcome, runLoader } from "./Loader.js"
/** The loader's configuration: YAML file and `DD_*` variables, decoded. */
export { loadLoaderConfig } from "./ConfigFile.js"
/** Agent side: adopt the sockets the loader handed over (and serve the connections it held). */
export {
  type AdoptedClient,
  type AdoptedListener,
  type AdoptedSockets,
  adoptInheritedSockets,
  type AdoptOptions,
  serveHeldClients
} from "./InheritedSockets.js"
