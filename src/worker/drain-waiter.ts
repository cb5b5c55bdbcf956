/**
 * One pending "the transport has room again" wait of an adapter that streams a response
 * body: wait() parks the writer, wake() releases it (on drain, on abort, on close, so a
 * writer never hangs on a connection that is gone).
 */
export class DrainWaiter {
  private waiter: (() => void) | null = null;

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}
