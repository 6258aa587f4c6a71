/**
 * A small JSON Schema checker for the subset Effect's JSONSchema.make emits ($ref/$defs, type, required,
 * properties, additionalProperties, items, enum, anyOf, minimum, maximum, minLength, minItems), so tests can
 * check emitted JSON against the generated schemas without another dependency.
 */
type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }
type SchemaNode = { readonly [k: string]: unknown }

const typeOf = (v: Json): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v

export const check = (root: SchemaNode, value: unknown): ReadonlyArray<string> => {
  const errors: Array<string> = []
  const walk = (node: SchemaNode, v: Json, at: string): void => {
    if (typeof node.$ref === "string") {
      const name = node.$ref.replace(/^#\/\$defs\//, "")
      const defs = root.$defs as Record<string, SchemaNode> | undefined
      const target = defs?.[name]
      if (target === undefined) errors.push(`${at}: unresolved ${node.$ref}`)
      else walk(target, v, at)
    }
    if (Array.isArray(node.anyOf)) {
      const ok = (node.anyOf as Array<SchemaNode>).some((s) => check({ ...root, ...s, $defs: root.$defs }, v).length === 0)
      if (!ok) errors.push(`${at}: matches no anyOf branch`)
    }
    if (typeof node.type === "string") {
      const t = typeOf(v)
      const okType = node.type === t || (node.type === "number" && t === "integer")
      if (!okType) {
        errors.push(`${at}: expected ${node.type}, got ${t}`)
        return
      }
    }
    if (Array.isArray(node.enum) && !node.enum.some((e) => e === v)) errors.push(`${at}: ${JSON.stringify(v)} not in enum`)
    if (typeof v === "number") {
      if (typeof node.minimum === "number" && v < node.minimum) errors.push(`${at}: below minimum ${node.minimum}`)
      if (typeof node.maximum === "number" && v > node.maximum) errors.push(`${at}: above maximum ${node.maximum}`)
    }
    if (typeof v === "string" && typeof node.minLength === "number" && v.length < node.minLength) {
      errors.push(`${at}: shorter than ${node.minLength}`)
    }
    if (Array.isArray(v)) {
      if (typeof node.minItems === "number" && v.length < node.minItems) errors.push(`${at}: fewer than ${node.minItems} items`)
      if (typeof node.items === "object" && node.items !== null) v.forEach((x, i) => walk(node.items as SchemaNode, x, `${at}[${i}]`))
    } else if (typeof v === "object" && v !== null) {
      const props = (node.properties ?? {}) as Record<string, SchemaNode>
      for (const r of (node.required ?? []) as Array<string>) if (!(r in v)) errors.push(`${at}: missing required ${r}`)
      for (const [k, x] of Object.entries(v)) {
        const p = props[k]
        if (p !== undefined) walk(p, x, `${at}.${k}`)
        else if (node.additionalProperties === false) errors.push(`${at}: unexpected property ${k}`)
      }
    }
  }
  walk(root, value as Json, "$")
  return errors
}
