import { useState } from 'preact/hooks';

/** A user's action on the server: whether one runs now (buttons wait), and the error of the last, shown until the next. */
export function useAction(): { busy: boolean; error: Error | null; run: (action: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
