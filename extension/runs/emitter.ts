/**
 * A minimal typed event emitter with the shape of `vscode.Event`, so the run manager core stays
 * free of the `vscode` module (it is unit-tested in plain Node) while views can subscribe to it
 * exactly as they subscribe to VS Code events.
 */

/** Something that releases a resource; structurally compatible with `vscode.Disposable`. */
export interface Disposable {
  dispose(): void;
}

/** A subscription function with the shape of `vscode.Event<T>`. */
export type Listener<T> = (value: T) => void;
export type Subscribe<T> = (listener: Listener<T>) => Disposable;

/**
 * Fires values to listeners in subscription order. A throwing listener is reported through
 * `onListenerError` and never stops delivery to the others (one broken view must not starve the rest).
 */
export class Emitter<T> implements Disposable {
  private listeners: Listener<T>[] = [];
  private disposed = false;

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  /** Subscribe; dispose the result to unsubscribe. */
  readonly event: Subscribe<T> = (listener) => {
    if (this.disposed) return { dispose: () => undefined };
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  /** Number of current listeners (used to skip work nobody listens to). */
  get size(): number {
    return this.listeners.length;
  }

  /** Delivers `value` to every listener subscribed right now. */
  fire(value: T): void {
    // Iterate over a snapshot: a listener may unsubscribe (or subscribe) while being called.
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}
