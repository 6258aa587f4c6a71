#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx dd-agent` works right after `npm ci`.
import { register } from "tsx/esm/api"

register()
await import("../src/programs/main.ts")
