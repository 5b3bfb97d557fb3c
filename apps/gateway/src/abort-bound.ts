// A request waiting on the other side (an agent's answer to the upstream's sampling, elicitation or
// roots request; a modern client's next leg) that an abort signal may end first. Shared by
// sessions/ (requests sent over an agent's transport) and modern/ (input requests of a held call).

export interface AbortBound<T, E> {
  resolve(value: T): void;
  reject(error: E): void;
  /** Stops listening without settling (the request ended some other way, e.g. timed out). */
  detach(): void;
}

/**
 * Listens for `signal` to abort (then `onAbort` runs, once) and returns the request's resolve and
 * reject, which stop listening before they settle: a long-lived signal does not collect one listener
 * per request it outlived.
 */
export function bindToAbort<T, E>(
  signal: AbortSignal,
  onAbort: () => void,
  settle: { resolve(value: T): void; reject(error: E): void },
): AbortBound<T, E> {
  signal.addEventListener('abort', onAbort, { once: true });
  const detach = () => signal.removeEventListener('abort', onAbort);
  return {
    resolve: (value) => {
      detach();
      settle.resolve(value);
    },
    reject: (error) => {
      detach();
      settle.reject(error);
    },
    detach,
  };
}
