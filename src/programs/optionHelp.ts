/** How an option with a default is declared: its help ends with the value used when the option is absent. */
import { Options } from "@effect/cli"

/** Describes the option and sets its default, writing that default into the description (one source for both). */
export const describedWithDefault = <const B>(description: string, fallback: B, shown: string = String(fallback)) =>
<A>(self: Options.Options<A>): Options.Options<A | B> =>
  self.pipe(Options.withDescription(`${description} (default ${shown})`), Options.withDefault(fallback))
