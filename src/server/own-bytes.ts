/**
 * `view` in memory of its own when it shares more than a little: an answer under 4 KiB is
 * encoded into Node's shared 8 KiB pool, so a view would keep that whole slab (and whatever else
 * it holds) alive, uncounted by the cache's size; a large one's view keeps only its extensions.
 * zlib's synchronous output is a view too, of a 16 KiB chunk.
 */
export function ownBytes(view: Buffer): Buffer {
  if (view.byteOffset === 0 && view.buffer.byteLength - view.length <= 1024) return view;
  const own = Buffer.allocUnsafeSlow(view.length);
  view.copy(own);
  return own;
}
