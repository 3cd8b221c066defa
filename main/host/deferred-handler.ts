import type { ApiEvent, ApiHandler } from '../../app/api/index.ts';

/**
 * An ApiHandler usable before the core has started (the window opens at once while the demo simulator
 * boots): calls wait for the core, subscriptions attach when it is there. If the core fails to start,
 * every call fails with that error.
 */
export function deferredHandler(ready: Promise<ApiHandler>): ApiHandler {
  return {
    async call(method, params) {
      return (await ready).call(method, params);
    },
    subscribe(listener: (event: ApiEvent) => void) {
      let unsubscribe: (() => void) | null = null;
      let cancelled = false;
      ready.then(
        (handler) => {
          if (!cancelled) unsubscribe = handler.subscribe(listener);
        },
        () => {},
      );
      return () => {
        cancelled = true;
        unsubscribe?.();
      };
    },
    async close() {
      await (await ready).close();
    },
  };
}
