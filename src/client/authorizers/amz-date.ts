let cachedSecond = -1;
let cachedText = '';

/** `YYYYMMDD'T'HHMMSS'Z'`, no milliseconds (D-WS); formatted once per second, since every operation asks. */
export function amzDate(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedText = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  }
  return cachedText;
}
