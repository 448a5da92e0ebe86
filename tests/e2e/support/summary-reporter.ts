// A Playwright reporter whose only output is the line `e2e: N passed, M failed`, printed last.
// CI reads the last summary line of the log, and Playwright's own ("2 passed (1.7s)") is not a
// form it recognises. `cargo xtask test` repeats this line as the very last one of its run.
import type { FullResult, Reporter, TestCase, TestError, TestResult } from '@playwright/test/reporter';

class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;

  printsToStdio(): boolean {
    // Keeps Playwright's list reporter active next to this one.
    return false;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    // Only the final attempt decides (there are no retries today, but the count stays right).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') {
      return;
    }
    const outcome = test.outcome();
    if (outcome === 'expected' || outcome === 'flaky') this.passed += 1;
    else if (outcome === 'unexpected') this.failed += 1;
  }

  onError(_error: TestError): void {
    // An error outside any test (the web server did not start, a spec does not compile) fails
    // the run; counting it keeps "0 failed" from ever describing a run that failed.
    this.failed += 1;
  }

  async onEnd(result: FullResult): Promise<void> {
    if (result.status !== 'passed' && this.failed === 0) {
      // Interrupted or timed out as a whole: no test failed, but the run did.
      this.failed = 1;
    }
  }

  async onExit(): Promise<void> {
    // onExit runs after every reporter's onEnd, so this stays the last line.
    process.stdout.write(`e2e: ${this.passed} passed, ${this.failed} failed\n`);
  }
}

export default SummaryReporter;
