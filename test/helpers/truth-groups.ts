// The addresses of a fixture's truth.json (markers, untouched pages, QEMU probes), grouped by (pid, address
// space) so that each group is one CLI run, with what each must give: a marker translates, an untouched page is
// not present, a probe outside every memslot is GPA_NOT_IN_MEMSLOT.

export interface TruthItem {
  kind: 'marker' | 'untouched' | 'outside';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  t: any;
}

export interface TruthGroup {
  pid: number;
  as: number;
  items: TruthItem[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function truthGroups(truth: any): TruthGroup[] {
  const g = new Map<string, TruthGroup>();
  const add = (pid: number, as: number, item: TruthItem) => {
    const key = `${pid}/${as}`;
    if (!g.has(key)) g.set(key, { pid, as, items: [] });
    g.get(key)!.items.push(item);
  };
  for (const t of truth.markers) add(truth.vmm.pid, t.as_id, { kind: 'marker', t });
  for (const t of truth.untouched) add(truth.vmm.pid, t.as_id, { kind: 'untouched', t });
  for (const t of truth.qemu.probes) add(truth.qemu.pid, t.as_id, { kind: t.in_memslot === false ? 'outside' : t.present ? 'marker' : 'untouched', t });
  return [...g.values()];
}
