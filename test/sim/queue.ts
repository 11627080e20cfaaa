/** Event queue of the simulator: a binary min-heap on (time, insertion order), so ties are deterministic. */
export class EventQueue<T> {
  private heap: { time: number; seq: number; item: T }[] = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  push(time: number, item: T): void {
    const h = this.heap
    h.push({ time, seq: this.seq++, item })
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  pop(): { time: number; item: T } | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let min = i
        if (l < h.length && this.less(l, min)) min = l
        if (r < h.length && this.less(r, min)) min = r
        if (min === i) break
        ;[h[i], h[min]] = [h[min]!, h[i]!]
        i = min
      }
    }
    return { time: top.time, item: top.item }
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!
    const b = this.heap[j]!
    return a.time < b.time || (a.time === b.time && a.seq < b.seq)
  }
}
