/**
 * Calls `fn` at most once per `ms` (leading and trailing): views follow a flood of step events
 * without redrawing on each. `now()` runs it at once (state changes should show immediately).
 */
export interface Throttled {
  (): void;
  now(): void;
  dispose(): void;
}

export function throttle(fn: () => void, ms: number): Throttled {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  let last = 0;
  const run = () => {
    timer = undefined;
    pending = false;
    last = Date.now();
    fn();
  };
  const throttled = (() => {
    if (timer) {
      pending = true;
      return;
    }
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else {
      pending = true;
      timer = setTimeout(() => pending && run(), wait);
    }
  }) as Throttled;
  throttled.now = () => {
    clearTimeout(timer);
    run();
  };
  throttled.dispose = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return throttled;
}
