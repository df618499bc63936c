/** Unix seconds as ISO 8601 UTC without milliseconds (`2026-12-01T12:00:00Z`), as this package's outputs show times. */
export function isoSeconds(unix: number): string {
	return new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}
