// A Playwright reporter whose only output is a line for each test that failed (`e2e failed: …`)
// or passed only on its second try (`e2e passed on a second try: …`, with the first try's
// error), then the line `e2e: N passed, M failed`, printed last. CI reads the last summary line
// of the log, and Playwright's own ("2 passed (1.7s)") is not a form it recognises. CI keeps only
// the end of the log, so `cargo xtask test` repeats these lines at the very end of its run: the
// names are there even when another engine's output came after them.
import type { FullResult, Reporter, TestCase, TestError, TestResult } from '@playwright/test/reporter';

class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private failures: string[] = [];
  private secondTries: string[] = [];
  /** The error of a test's first try, by test id, while its retry runs. */
  private firstTries = new Map<string, string>();

  printsToStdio(): boolean {
    // Keeps Playwright's list reporter active next to this one.
    return false;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const error = firstLine(result.error?.message ?? result.status);
    // Only the final attempt counts; an earlier one's error is kept to be named.
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') {
      if (!this.firstTries.has(test.id)) this.firstTries.set(test.id, error);
      return;
    }
    const where = `${test.location.file.split('/').pop()}:${test.location.line}`;
    const title = [test.parent.project()?.name, where, test.title].filter(Boolean).join(' › ');
    const outcome = test.outcome();
    if (outcome === 'expected') this.passed += 1;
    else if (outcome === 'flaky') {
      this.passed += 1;
      this.secondTries.push(`${title}: ${this.firstTries.get(test.id) ?? 'failed'}`);
    } else if (outcome === 'unexpected') {
      this.failed += 1;
      this.failures.push(`${title}: ${error}`);
    }
  }

  onError(error: TestError): void {
    // An error outside any test (the web server did not start, a spec does not compile) fails
    // the run; counting it keeps "0 failed" from ever describing a run that failed.
    this.failed += 1;
    this.failures.push(`outside any test: ${firstLine(error.message ?? String(error.value))}`);
  }

  async onEnd(result: FullResult): Promise<void> {
    if (result.status !== 'passed' && this.failed === 0) {
      // Interrupted or timed out as a whole: no test failed, but the run did.
      this.failed = 1;
    }
  }

  async onExit(): Promise<void> {
    // onExit runs after every reporter's onEnd, so these stay the last lines.
    for (const flaky of this.secondTries) process.stdout.write(`e2e passed on a second try: ${flaky}\n`);
    for (const failure of this.failures) process.stdout.write(`e2e failed: ${failure}\n`);
    process.stdout.write(`e2e: ${this.passed} passed, ${this.failed} failed\n`);
  }
}

/**
 * An error's first line with no terminal colours, cut to 300 characters. An expect failure's
 * first line names only the matcher, so the first line of what was received follows it.
 */
function firstLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = message.replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const first = lines[0] ?? '';
  const received =
    lines.find((l) => /^\+ /.test(l) && !/^\+ (Received|Array \[|Object \{)/.test(l)) ??
    lines.find((l) => l.startsWith('Received:'));
  return (received ? `${first} ${received}` : first).slice(0, 300);
}

export default SummaryReporter;
