// Text layout helpers for panes that wrap their own lines (so line numbers stay theirs, not blessed's).

/** Breaks lines longer than `width` at a space where it can; continuation lines keep the indent + 2. */
export function wrapLines(lines: string[], width: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let rest = line;
    let first = true;
    const indent = ' '.repeat(Math.min(8, (/^ */.exec(line)?.[0].length ?? 0) + 2));
    while (rest.length > width) {
      let cut = rest.lastIndexOf(' ', width);
      if (cut <= width / 2) cut = width;
      out.push(rest.slice(0, cut).trimEnd());
      rest = indent + rest.slice(cut).trimStart();
      first = false;
    }
    if (rest.trim() || first) out.push(rest);
  }
  return out;
}

/** Joins `parts` with two spaces, starting a new line (indented) where the next part would pass `width`. */
export function fitParts(parts: string[], width: number, indent = '  '): string[] {
  const out: string[] = [];
  let cur = '';
  for (const p of parts.filter(Boolean)) {
    if (!cur) cur = indent + p;
    else if (cur.length + 2 + p.length <= width) cur += '  ' + p;
    else {
      out.push(cur);
      cur = indent + p;
    }
  }
  if (cur) out.push(cur);
  return out;
}
