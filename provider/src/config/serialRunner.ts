/**
 * Runs a reload task one at a time: a request during a run makes it run once more afterwards, and every caller waits
 * for (and gets the result of) the run that covers its request. Shared by the file watcher and the Kubernetes source.
 */
export interface SerialRunner {
  /** Runs the task, or joins the current run and asks for one more; true when any of those runs changed something. */
  run(): Promise<boolean>;
  /** True while a run is under way. */
  busy(): boolean;
  /** Resolves when no run is under way. */
  settled(): Promise<void>;
}

export function serialRunner(task: () => Promise<boolean>, isClosed: () => boolean): SerialRunner {
  let running: Promise<boolean> | undefined;
  let again = false;
  return {
    run() {
      if (isClosed()) return Promise.resolve(false);
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let changed = false;
        try {
          do {
            again = false;
            changed = (await task()) || changed;
          } while (again && !isClosed());
        } finally {
          running = undefined;
        }
        return changed;
      })();
      return running;
    },
    busy: () => running !== undefined,
    async settled() {
      await running?.catch(() => undefined);
    },
  };
}
