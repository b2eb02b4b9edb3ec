/** One load at a time: the lists and panels that reload on live messages, 刷新 and reconnections. */

/**
 * Wrap `load` so that it runs one at a time: a call while it runs asks for one more run right after it (any number of
 * such calls make one run), so that the last thing shown is never older than the last call. A call that only asked
 * for another run settles at once; the call that started the runs settles when they are all done.
 * @param {() => Promise<void>} load settles when done; it should handle its own failures (a rejection ends the runs)
 * @returns {() => Promise<void>}
 */
export function serial(load) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await load();
      } while (again);
    } finally {
      running = false;
    }
  };
}
