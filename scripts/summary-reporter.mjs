// Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own report, for
// tools that read a run's outcome from its last line.
const count = (tasks, acc) => {
  for (const t of tasks) {
    if (t.type === "test") {
      const state = t.result?.state
      if (state === "pass") acc.passed++
      else if (state === "fail") acc.failed++
      else acc.skipped++
    }
    if (t.tasks) count(t.tasks, acc)
  }
  return acc
}

export default class SummaryReporter {
  onFinished(files = [], errors = []) {
    const n = count(files, { passed: 0, failed: 0, skipped: 0 })
    const failed = n.failed + (errors.length > 0 && n.failed === 0 ? 1 : 0)
    console.log(`tests: ${n.passed} passed, ${failed} failed, ${n.skipped} skipped`)
  }
}
