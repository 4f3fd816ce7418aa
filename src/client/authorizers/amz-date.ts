/** `YYYYMMDD'T'HHMMSS'Z'`, no milliseconds (D-WS). */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
