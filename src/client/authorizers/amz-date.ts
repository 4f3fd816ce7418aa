let cachedSecond = -1;
let cachedText = '';

/** `YYYYMMDD'T'HHMMSS'Z'`, no milliseconds (D-WS); formatted once per second, since every operation asks. */
export function amzDate(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedText = new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  }
  return cachedText;
}
