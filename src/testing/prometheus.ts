/** Reads one sample out of a Prometheus text exposition: the series of `name` carrying every given label. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    const bare = series.split('{')[0];
    if (bare !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`)))
      return Number(line.slice(space + 1));
  }
  return undefined;
}

/** Fetches /metrics of an app (in-process) as text. */
export async function scrape(app: {
  request: (path: string) => Response | Promise<Response>;
}): Promise<string> {
  const res = await app.request('/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}
