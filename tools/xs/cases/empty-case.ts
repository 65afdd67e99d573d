/* An XS machine with only the harness loaded: the baseline of the whole-node heap figures (intrinsics + harness). */
import { serveCases } from "./runtime.js";

serveCases({
  gc(): unknown {
    const g = globalThis as unknown as { gc?: () => void };
    if (typeof g.gc === "function") g.gc();
    return null;
  },
});
