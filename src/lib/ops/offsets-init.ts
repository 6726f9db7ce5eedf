/** Validation of explicit per-channel offset values ([C, 2] = (α = x, β = y), pixels) given to ASL/SSL layers. */

/** Throws unless `values` holds exactly `channels` finite pairs [α, β]; returns them flattened [α0, β0, α1, …]. */
export function checkOffsetValues(values: unknown, channels: number, who: string): Float32Array {
  if (!Array.isArray(values)) {
    throw new Error(`${who}: offsetInitializer must be an array of [α, β] pairs (one per channel), got ${typeof values}.`);
  }
  if (values.length !== channels) {
    throw new Error(
      `${who}: offsetInitializer has ${values.length} pairs but the input has ${channels} channels; ` +
        `give exactly one [α, β] pair per channel.`,
    );
  }
  const flat = new Float32Array(2 * channels);
  values.forEach((pair: unknown, c: number) => {
    const ok = Array.isArray(pair) && pair.length === 2 && pair.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!ok) {
      throw new Error(`${who}: offsetInitializer[${c}] must be a pair of finite numbers [α, β], got ${JSON.stringify(pair)}.`);
    }
    flat[2 * c] = (pair as number[])[0];
    flat[2 * c + 1] = (pair as number[])[1];
  });
  return flat;
}
